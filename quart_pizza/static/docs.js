// Starts Swagger UI on /docs. A file of its own: the pages' CSP allows no inline script.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: false,
  });
});
