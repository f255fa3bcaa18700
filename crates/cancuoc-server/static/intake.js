// Intake sends its form in the background, so that a refused filing leaves every field
// and every chosen image in place: the officer mends what the message names and sends
// again, without taking fourteen images once more. Without this script the form posts as
// usual and the server gives the text fields back.
(function () {
  'use strict';
  const form = document.getElementById('intake');
  if (!form || !window.fetch || !window.FormData) return;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    const shown = document.getElementById('intake-error');
    if (shown) shown.remove();
    button.disabled = true;
    const label = button.textContent;
    button.textContent = form.dataset.sending || label;
    try {
      const response = await fetch(form.action, {
        method: 'POST',
        body: new FormData(form),
        credentials: 'same-origin',
      });
      const html = await response.text();
      if (response.ok) {
        // Filed: the server's page with the receipt and its papers.
        document.open();
        document.write(html);
        document.close();
        return;
      }
      const page = new DOMParser().parseFromString(html, 'text/html');
      const refusal = page.querySelector('.error');
      const message = document.createElement('p');
      message.id = 'intake-error';
      message.className = 'error';
      message.setAttribute('role', 'alert');
      message.textContent = refusal ? refusal.textContent : html.slice(0, 300);
      form.prepend(message);
      message.scrollIntoView({ block: 'center' });
    } catch (failure) {
      const message = document.createElement('p');
      message.id = 'intake-error';
      message.className = 'error';
      message.setAttribute('role', 'alert');
      message.textContent = String(failure);
      form.prepend(message);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  });
})();
