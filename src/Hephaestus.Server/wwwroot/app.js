// The one script of the web app, and nothing depends on it: pages work without it. It counts down a timed attempt's
// remaining time (the server enforces the limit) in an element <time data-countdown="ISO 8601 deadline">.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("time[data-countdown]");
  if (clocks.length === 0) return;
  function tick() {
    clocks.forEach(function (clock) {
      var left = Math.max(0, Date.parse(clock.getAttribute("data-countdown")) - Date.now());
      var minutes = Math.floor(left / 60000), seconds = Math.floor((left % 60000) / 1000);
      clock.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    });
  }
  tick();
  setInterval(tick, 1000);
})();
