// Small progressive enhancements; every page works without this file.
document.addEventListener("click", function (event) {
  var input = event.target.closest("input.copy");
  if (input) { input.select(); }
});
