// The wallet page: "Use my location" asks the browser for the device's position and posts it
// through the same form a person can fill in by hand (the fallback when there is no
// geolocation, or it is refused).
"use strict";

(function () {
  const form = document.getElementById("position-form");
  const button = document.getElementById("locate");
  const status = document.getElementById("geo-status");
  if (!form || !button || !("geolocation" in navigator)) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = "Finding your position…";
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(6);
        form.elements.lon.value = position.coords.longitude.toFixed(6);
        status.textContent = "Looking for campaigns near you…";
        form.requestSubmit();
      },
      function (error) {
        button.disabled = false;
        status.textContent =
          (error.code === error.PERMISSION_DENIED
            ? "The browser did not share your position."
            : "Your position could not be found.") + " Type a latitude and longitude below.";
        form.elements.lat.focus();
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
