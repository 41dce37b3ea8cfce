// The order page follows its order's status live (Server-Sent Events). Without JavaScript
// the page shows the status as of its load; with it, each change appears as it happens.
"use strict";
(function () {
  const page = document.getElementById("order-page");
  if (!page || !window.EventSource) return;
  const badge = page.querySelector("[data-status]");
  const timeline = document.getElementById("timeline");
  const cancel = document.getElementById("cancel-form");
  const source = new EventSource(page.dataset.eventsUrl);
  source.addEventListener("status", function (message) {
    const event = JSON.parse(message.data);
    badge.dataset.status = event.status;
    badge.className = "status-badge status-" + event.status;
    badge.textContent = event.status.charAt(0).toUpperCase() + event.status.slice(1);
    if (cancel && event.status !== "placed") cancel.remove();
    // Completed or cancelled: nothing more will come; do not reconnect.
    if (event.status === "completed" || event.status === "cancelled") source.close();
    if (!timeline.querySelector('[data-event-id="' + message.lastEventId + '"]')) {
      const item = document.createElement("li");
      item.dataset.eventId = message.lastEventId;
      const name = document.createElement("span");
      name.className = "status-name";
      name.textContent = badge.textContent;
      const time = document.createElement("time");
      time.dateTime = event.at;
      time.textContent = event.at.slice(0, 16).replace("T", " ") + " UTC";
      item.append(name, " ", time);
      timeline.append(item);
    }
  });
})();
