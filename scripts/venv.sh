# Sourced by scripts/demo and scripts/test: a virtual environment under the checkout, refreshed when
# pyproject.toml changes. Needs only Python 3.11+ on PATH (python3.11, python3.12, … or python3).
ensure_venv() {
  local extra="${1:-}" stamp=".venv/.installed-${1:-base}" python=""
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      python="$candidate"; break
    fi
  done
  [ -n "$python" ] || { echo "kefu needs Python 3.11 or newer" >&2; exit 1; }
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".${extra:+[$extra]}"
    touch "$stamp"
  fi
}
