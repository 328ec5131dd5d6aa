/* Hall display (现场大屏): live figures by server-sent events; at the close the page is drawn again with the
   result. Without JS the page refreshes itself. */
(function () {
  "use strict";
  var main = document.querySelector("[data-live-url]");
  if (!main || !window.EventSource) { return; }
  var source = null;

  function setText(name, value) {
    var nodes = main.querySelectorAll('[data-field="' + name + '"]');
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].textContent !== String(value)) { nodes[i].textContent = value; }
    }
  }

  function setTally(rows, summary) {
    var box = main.querySelector('[data-field-list="tally"]');
    if (!box || !rows) { return; }
    var list = document.createElement("ul");
    rows.forEach(function (row) {
      var item = document.createElement("li");
      var label = document.createElement("span");
      var count = document.createElement("strong");
      label.textContent = row[0];
      count.textContent = row[1];
      item.appendChild(label);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(count);
      list.appendChild(item);
    });
    box.textContent = "";
    box.appendChild(list);
    if (summary) {
      var p = document.createElement("p");
      p.className = "hall-summary";
      p.textContent = summary;
      box.appendChild(p);
    }
  }

  function connect() {
    source = new EventSource(main.getAttribute("data-live-url"));
    source.addEventListener("figures", function (event) {
      var data = JSON.parse(event.data);
      ["participants", "electorate", "turnout", "online", "paper", "state_label", "preliminary_label"].forEach(function (name) {
        if (name in data) { setText(name, data[name]); }
      });
      if (data.tally) { setTally(data.tally, data.summary); }
      if (data.state === "closed" && main.getAttribute("data-state") !== "closed") {
        // The vote has closed: the page is drawn again with the result in place of the QR code.
        source.close();
        window.location.reload();
        return;
      }
      main.setAttribute("data-state", data.state);
    });
    source.addEventListener("bye", function () { source.close(); });
  }
  connect();
}());
