// The wallboard's chart of today's contacts per hour, drawn with the vendored ECharts.
// The numbers come from the refreshed panel's #wallboard-chart-data (JSON); the chart element stays put.
(function () {
  "use strict";

  function draw() {
    var element = document.getElementById("wallboard-chart");
    var source = document.getElementById("wallboard-chart-data");
    if (!element || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.dataset.chart);
    var chart = echarts.getInstanceByDom(element) || echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 40, right: 16, top: 32, bottom: 24 },
      legend: { data: [element.dataset.offered, element.dataset.answered], top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.hours },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: element.dataset.offered, type: "bar", data: data.offered, itemStyle: { color: "#9fb8cc" } },
        { name: element.dataset.answered, type: "bar", data: data.answered, itemStyle: { color: "#2f6f9f" } }
      ]
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("resize", function () {
    var element = document.getElementById("wallboard-chart");
    var chart = element && typeof echarts !== "undefined" && echarts.getInstanceByDom(element);
    if (chart) chart.resize();
  });
})();
