// Starts Swagger UI on /docs (a file, so the page needs no inline script).
window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, presets: [SwaggerUIBundle.presets.apis] })
