// The kitchen board follows every order live: on each event it fetches the board again
// (the server renders it; the page never reloads).
"use strict";
(function () {
  const kitchen = document.querySelector(".kitchen");
  if (!kitchen || !window.EventSource) return;
  const board = document.getElementById("board");
  let pending = null;
  async function refresh() {
    pending = null;
    const response = await fetch(kitchen.dataset.boardUrl, { credentials: "same-origin" });
    if (response.ok) board.innerHTML = await response.text();
  }
  const source = new EventSource(kitchen.dataset.eventsUrl);
  source.addEventListener("order", function () {
    // Many events at once (a busy Friday): one fetch for them all.
    if (pending === null) pending = setTimeout(refresh, 150);
  });
})();
