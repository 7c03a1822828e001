"""Bot: intent classifier, dialogue policy and sentiment — see docs/bot.md."""
