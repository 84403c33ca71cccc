// Show a weight slider's value beside its label while it moves; the page works without this.
document.addEventListener("input", function (event) {
  var slider = event.target;
  if (slider.type !== "range" || !slider.id) { return; }
  var output = document.querySelector('output[for="' + slider.id + '"]');
  if (output) { output.textContent = slider.value; }
});
