// Shows allauth's WebAuthn errors (a cancelled or refused security key) in the page's alert region
// instead of only in the console. The message text comes from the page, in the reader's language.
(function () {
  document.addEventListener('allauth.error', function (event) {
    const box = document.getElementById('webauthn-error')
    if (!box) return
    event.preventDefault()
    box.textContent = box.dataset.message
    box.hidden = false
  })
})()
