// Sets the theme before first paint: saved choice, else the system preference.
(function () {
  var saved = null;
  try { saved = localStorage.getItem("arena-theme"); } catch (e) { /* private mode */ }
  var dark = saved ? saved === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
})();
