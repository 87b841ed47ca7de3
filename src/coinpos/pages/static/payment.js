"use strict";
// The payment request's live parts, shared by the POS and the checkout: the countdown to
// the deadline, the copy button, and the invoice's status followed without a reload.
window.CoinposPayment = (() => {
  // Only when the stream cannot be used (no EventSource, or the server refused it):
  // the page's status JSON, read at this pace.
  const FALLBACK_POLL_MS = 2000;
  let countdownTimer = null;
  let source = null;
  let pollTimer = null;

  function countdown(element, expiresAt) {
    clearInterval(countdownTimer);
    const deadline = Date.parse(expiresAt);
    const tick = () => {
      const left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
      const minutes = Math.floor(left / 60);
      const seconds = String(left % 60).padStart(2, "0");
      element.textContent = `${minutes}:${seconds}`;
      element.setAttribute("aria-label", `${minutes} minutes ${seconds} seconds left`);
      if (left === 0) clearInterval(countdownTimer);
    };
    tick();
    countdownTimer = setInterval(tick, 1000);
  }

  function stopCountdown() {
    clearInterval(countdownTimer);
  }

  function tone(status) {
    if (status.approved && !status.note) return "approved";
    if (status.approved) return "approved-note";
    if (status.final || status.exception_status) return "problem";
    return status.status === "Processing" ? "processing" : "waiting";
  }

  function showStatus(status) {
    const element = document.getElementById("status");
    element.textContent = status.label;
    element.dataset.status = status.status;
    element.dataset.tone = tone(status);
    document.getElementById("pay-amount").textContent = status.price_shown;
    document.getElementById("status-note").textContent = status.note || "";
    // The deadline is the invoice's (the server's word), and the countdown ends with it.
    const clock = document.getElementById("countdown");
    if (!status.final) countdown(clock, status.expires_at);
    else {
      stopCountdown();
      if (status.status === "Expired") clock.textContent = "0:00";
    }
  }

  // Follows the invoice's status from the server's event stream (`eventsUrl`); `onChange`
  // sees every status. Falls back to reading `statusUrl` only if the stream cannot be used.
  function follow(eventsUrl, statusUrl, onChange) {
    stopFollowing();
    let last = "";
    const seen = (status) => {
      const text = JSON.stringify(status);
      if (text !== last) {
        last = text;
        showStatus(status);
        onChange(status);
      }
      if (status.final) stopFollowing();
    };
    const poll = async () => {
      try {
        const answer = await fetch(statusUrl, { headers: { Accept: "application/json" } });
        if (answer.ok) {
          const status = await answer.json();
          seen(status);
          if (status.final) return;
        }
      } catch (_) {
        // The network dropped: try again on the next tick.
      }
      pollTimer = setTimeout(poll, FALLBACK_POLL_MS);
    };
    if (typeof window.EventSource !== "function") {
      window.coinposTransport = "poll";
      poll();
      return;
    }
    window.coinposTransport = "stream";
    source = new EventSource(eventsUrl);
    source.addEventListener("status", (event) => seen(JSON.parse(event.data)));
    source.addEventListener("error", () => {
      // EventSource reconnects by itself after a dropped connection (readyState
      // CONNECTING); CLOSED means the server refused the stream: read the status instead.
      if (source && source.readyState === EventSource.CLOSED) {
        source = null;
        window.coinposTransport = "poll";
        poll();
      }
    });
  }

  function stopFollowing() {
    if (source) source.close();
    source = null;
    clearTimeout(pollTimer);
  }

  function stop() {
    stopFollowing();
    stopCountdown();
  }

  function copyButtons() {
    for (const button of document.querySelectorAll("button[data-copy]")) {
      button.addEventListener("click", async () => {
        const text = document.getElementById(button.dataset.copy).textContent;
        try {
          await navigator.clipboard.writeText(text);
          button.textContent = "Copied";
        } catch (_) {
          const range = document.createRange();
          range.selectNodeContents(document.getElementById(button.dataset.copy));
          window.getSelection().removeAllRanges();
          window.getSelection().addRange(range);
          button.textContent = "Selected: copy it";
        }
        setTimeout(() => { button.textContent = "Copy address"; }, 2000);
      });
    }
  }

  return { countdown, stopCountdown, follow, stop, copyButtons };
})();
