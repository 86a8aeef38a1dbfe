// The feedback widget, step by step. Without this script the widget is one
// plain form that carries every field; with it, a bare Ja or Nej is saved at
// once, and the later steps add to that answer through its signed
// reference. Validation on submit here is a courtesy: the server repeats
// all of it. No framework, no CDN.
(function () {
  "use strict";

  var RATING_MIN = 1;
  var RATING_MAX = 5;
  var COMMENT_MAX = 2000;
  var EMAIL = /^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>]+$/;
  // The page's language: Django's catalog (/jsi18n/, /en/jsi18n/), loaded
  // before this script; the Swedish source texts if it did not come.
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%s/g, function () { return values.shift(); });
  };

  function setup(section) {
    var form = section.querySelector("[data-feedback-form]");
    if (!form) return;
    var status = section.querySelector("[data-feedback-status]");
    var alert = section.querySelector("[data-feedback-alert]");
    var steps = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-step]"), function (step) {
      steps[step.getAttribute("data-step")] = step;
    });
    var submit = form.querySelector(".feedback__submit");
    var tokenFetched = false;

    function show(names) {
      names.forEach(function (name) { steps[name].hidden = false; });
    }
    function hide(names) {
      names.forEach(function (name) { steps[name].hidden = true; });
    }
    function focusStep(name) {
      var step = steps[name];
      var target = step.querySelector("legend, label") || step;
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
    function say(region, html) {
      region.innerHTML = html;
    }
    function escape(text) {
      var div = document.createElement("div");
      div.textContent = text;
      return div.innerHTML;
    }
    function fieldId(name) {
      var field = form.querySelector("[name='" + name + "']");
      if (!field) return "";
      return field.type === "radio" ? (field.closest("[id]") || field).id : field.id;
    }
    function showErrors(errors) {
      var items = Object.keys(errors).map(function (name) {
        return "<li><a href='#" + fieldId(name) + "'>" + escape(errors[name][0]) + "</a></li>";
      });
      say(alert, "<div class='error-summary' tabindex='-1'><h2 class='error-summary__title'>" +
        escape(gettext("Svaret kunde inte skickas")) + "</h2><ul>" + items.join("") + "</ul></div>");
      form.querySelectorAll(".field-error[data-js]").forEach(function (p) { p.remove(); });
      Object.keys(errors).forEach(function (name) {
        var id = fieldId(name);
        var field = document.getElementById(id);
        if (!field) return;
        var p = document.createElement("p");
        p.className = "field-error";
        p.id = id + "-error-js";
        p.setAttribute("data-js", "");
        p.textContent = errors[name][0];
        field.parentNode.insertBefore(p, field);
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby",
          ((field.getAttribute("aria-describedby") || "") + " " + p.id).trim());
      });
      alert.querySelector(".error-summary").focus();
    }
    function clearErrors() {
      say(alert, "");
      form.querySelectorAll(".field-error[data-js]").forEach(function (p) { p.remove(); });
      form.querySelectorAll("[aria-invalid]").forEach(function (f) { f.removeAttribute("aria-invalid"); });
    }
    function checked(name) {
      var input = form.querySelector("[name='" + name + "']:checked");
      return input ? input.value : "";
    }
    function validate() {
      var errors = {};
      if (!checked("helpful")) errors.helpful = [gettext("Välj Ja eller Nej.")];
      var rating = checked("rating");
      if (rating && (rating < RATING_MIN || rating > RATING_MAX)) {
        errors.rating = [gettext("Välj ett betyg från 1 till 5.")];
      }
      var comment = form.elements.comment.value;
      if (comment.length > COMMENT_MAX) {
        errors.comment = [interpolate(
          gettext("Skriv högst 2 000 tecken (du har skrivit %s)."), [comment.length])];
      }
      var email = form.elements.email.value.trim();
      if (email && !EMAIL.test(email)) {
        errors.email = [gettext("Skriv en giltig e-postadress, till exempel namn@example.se.")];
      }
      return errors;
    }
    function send() {
      return fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { status: response.status, data: data };
        });
      });
    }
    function freshToken() {
      if (tokenFetched) return;
      tokenFetched = true;
      fetch(section.getAttribute("data-token-url"), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data && data.token) form.elements.token.value = data.token; })
        .catch(function () { /* the page's own token still serves */ });
    }
    // Anything but the visitor's own mistakes (the database or the network
    // away, too many posts): what they wrote stays in the form, and one
    // press sends it again.
    function failed(result, again) {
      if (result.status === 400 && result.data.errors) {
        showErrors(result.data.errors);
        return;
      }
      say(alert, "<p>" + escape(result.data.message ||
        gettext("Svaret kunde inte skickas just nu. Försök igen om en stund.")) + "</p>" +
        "<button type='button' class='feedback__submit' data-feedback-again>" +
        escape(gettext("Skicka igen")) + "</button>");
      var button = alert.querySelector("[data-feedback-again]");
      button.addEventListener("click", function () {
        clearErrors();
        again();
      });
      button.focus();
    }

    hide(["rating", "comment", "email"]);
    submit.hidden = true;
    // A fresh token as the page loads, not at the first click: a token
    // fetched at the click would be younger than the bot check's minimum
    // age, and a quick Ja would be stored as spam.
    freshToken();

    function sendHelpful() {
      send().then(function (result) {
        if (result.status !== 201) return failed(result, sendHelpful);
        form.elements.answer.value = result.data.answer;
        say(status, "<p>" + escape(gettext("Tack för ditt svar!")) + "</p>");
        show(["rating"]);
        focusStep("rating");
      }, function () { failed({ status: 0, data: {} }, sendHelpful); });
    }
    Array.prototype.forEach.call(form.elements.helpful, function (radio) {
      radio.addEventListener("change", function () {
        clearErrors();
        sendHelpful();
      });
    });
    Array.prototype.forEach.call(form.elements.rating, function (radio) {
      radio.addEventListener("change", function () {
        if (!steps.comment.hidden) return;
        show(["comment", "email"]);
        submit.hidden = false;
        focusStep("comment");
      });
    });

    function sendAll() {
      clearErrors();
      var errors = validate();
      if (Object.keys(errors).length) return showErrors(errors);
      say(status, "<p>" + escape(gettext("Informationen skickas...")) + "</p>");
      submit.disabled = true;
      send().then(function (result) {
        submit.disabled = false;
        if (result.status !== 201) {
          say(status, "");
          return failed(result, sendAll);
        }
        form.remove();
        say(status, "<p class='feedback__thanks' tabindex='-1'>" + escape(gettext(
          "Tack för att du hjälper oss att göra kommunens webbplats bättre!")) + "</p>");
        status.querySelector(".feedback__thanks").focus();
      }, function () {
        submit.disabled = false;
        say(status, "");
        failed({ status: 0, data: {} }, sendAll);
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      sendAll();
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("section.feedback[data-page-id]"), setup);
})();
