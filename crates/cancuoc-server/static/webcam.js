// Capture the portrait from a webcam where the browser allows it: a button next to each
// file field marked data-webcam opens the camera, and a second press takes the picture
// into the field as a JPEG file. Without a camera or permission the field stays a plain
// file upload.
(function () {
  'use strict';
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof DataTransfer === 'undefined') {
    return;
  }
  document.querySelectorAll('input[type=file][data-webcam]').forEach(function (input) {
    var button = document.createElement('button');
    button.type = 'button';
    button.id = input.id + '_webcam';
    button.textContent = input.getAttribute('data-webcam');
    var video = document.createElement('video');
    video.setAttribute('playsinline', '');
    video.muted = true;
    video.hidden = true;
    video.style.maxWidth = '100%';
    input.insertAdjacentElement('afterend', video);
    input.insertAdjacentElement('afterend', button);
    var stream = null;
    button.addEventListener('click', function () {
      if (!stream) {
        navigator.mediaDevices.getUserMedia({ video: { width: 480, height: 640 } }).then(function (s) {
          stream = s;
          video.srcObject = s;
          video.hidden = false;
          return video.play();
        }).then(function () {
          button.textContent = input.getAttribute('data-webcam-take') || button.textContent;
        }).catch(function () {
          button.disabled = true;
        });
        return;
      }
      var canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext('2d').drawImage(video, 0, 0);
      canvas.toBlob(function (blob) {
        var files = new DataTransfer();
        files.items.add(new File([blob], 'webcam.jpg', { type: 'image/jpeg' }));
        input.files = files.files;
        input.dispatchEvent(new Event('change', { bubbles: true }));
        stream.getTracks().forEach(function (t) { t.stop(); });
        stream = null;
        video.hidden = true;
        button.textContent = input.getAttribute('data-webcam');
      }, 'image/jpeg', 0.92);
    });
  });
}());
