// Show a weight slider's value beside its label while it moves; the page works without this.
document.addEventListener("input", function (event) {
  var slider = event.target;
  if (slider.type !== "range" || !slider.id) { return; }
  var output = document.querySelector('output[for="' + slider.id + '"]');
  if (output) { output.textContent = slider.value; }
});

// A chosen tax category shows the rates it applies in the rate fields (the server does
// the same when it renders the page); by hand, the fields are the buyer's again.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches || !select.matches("select[data-fills-rates]")) { return; }
  var option = select.options[select.selectedIndex];
  select.form.querySelectorAll("input[data-rate]").forEach(function (input) {
    var rate = option.getAttribute("data-" + input.getAttribute("data-rate"));
    if (rate !== null) { input.value = rate; }
    input.readOnly = rate !== null;
  });
});
