// The workforce plan heat maps: one per queue, days down, periods across, coloured by
// scheduled − required heads. Data comes from the container's data-chart attribute (JSON).
(function () {
  "use strict";

  function draw() {
    var container = document.getElementById("workforce-charts");
    if (!container || typeof echarts === "undefined") return;
    var data = JSON.parse(container.dataset.chart);
    data.queues.forEach(function (queue) {
      var title = document.createElement("h3");
      title.textContent = queue.queue;
      var element = document.createElement("div");
      element.className = "chart heatmap";
      element.setAttribute("role", "img");
      container.appendChild(title);
      container.appendChild(element);
      var chart = echarts.init(element, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        grid: { left: 90, right: 16, top: 8, bottom: 56 },
        tooltip: {
          formatter: function (p) {
            return data.days[p.value[1]] + " " + data.periods[p.value[0]] + "<br>" +
              container.dataset.required + ": " + p.value[3] + "<br>" +
              container.dataset.scheduled + ": " + p.value[4];
          }
        },
        xAxis: { type: "category", data: data.periods, splitArea: { show: true } },
        yAxis: { type: "category", data: data.days, splitArea: { show: true } },
        visualMap: { min: -5, max: 5, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                     inRange: { color: ["#c0392b", "#f6f6f6", "#2f6f9f"] } },
        series: [{ type: "heatmap", data: queue.cells, encode: { x: 0, y: 1, value: 2 } }]
      });
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
