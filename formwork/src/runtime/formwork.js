// Formwork's browser runtime: every page loads it, and it needs nothing else.
//
// - Forms (`<form data-fw-form="action">` outside an island): the schema's checks before
//   sending, a pending state, the post sent with `fetch` exactly as the browser would send it,
//   then the page it comes back to fetched once and shown in place, keeping the islands, the
//   input of other forms, the focus and the scroll. The markup is the server's, so the outcome
//   is the one a browser without JavaScript gets, word for word. A redirect elsewhere shows
//   the page there in place of this one, with a history entry and no document load (a page
//   with islands, or one that cannot be shown, is a document load).
// - Previews (`data-fw-preview` on such a form): what the page shows at once while the form is
//   on its way, until the server's page replaces it (see `formwork::preview`). A form marked
//   `data-fw-submit-on="change"` sends itself when a control changes.
// - Uploads (`<form data-fw-form="upload">`, anywhere): the same, sent with `XMLHttpRequest`
//   to show the bytes sent, with a button that cancels, and each file's size checked before a
//   byte goes.
// - Reads (`<form data-fw-form="query">`, anywhere): the results follow the typing.
// - Regions (`data-fw-region`) and the live stream: what an action revalidated, here or in
//   any other tab or instance, refreshes exactly the regions that show it.
// - Islands (Leptos WASM, only on pages that have them) watch and revalidate through
//   `window.formwork` (see `formwork::live::client`).
//
// The server writes the catalog's sentences this file needs in front of it, as `MESSAGES`,
// and serves the whole under a name hashed from its content (see `formwork::runtime`). It
// serves each line trimmed, without comments and blank lines: a comment here sits on lines
// of its own (or after code on its line, then kept), and no string or template literal spans
// lines.

const doc = document;
const ISLAND = "leptos-island";
const READY = "data-fw-ready";

// ---- The catalog -------------------------------------------------------------------------

/** A sentence of the catalog, its `{placeholders}` filled from `values`. */
function say(key, values = {}) {
  return (MESSAGES[key] || key).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// ---- Rules: formwork::rules, the same checks, the same words ---------------------------------

const CONTROL = /[\p{Cc}]/u;
const LINE = /^[\n\r\t]$/;
const SPACE = /^\p{White_Space}$/u;
const INVISIBLE = /^[\u00AD\u180E\u200B-\u200D\u2060\uFEFF]$/;
const EDGES = /^\p{White_Space}+|\p{White_Space}+$/gu;

/**
 * The rule an input carries (`Field::rule_spec`): `data-fw-rule="kind required min max"`
 * (characters for text; values, or `-`, for numbers, then a decimal's places; a choice's
 * values joined by `|`), and `data-fw-label`.
 */
function ruleOf(input) {
  const spec = input.getAttribute("data-fw-rule");
  if (!spec) return null;
  const [kind, required, a, b, places] = spec.split(" ");
  const bound = (v) => (v === undefined || v === "-" ? null : +v);
  return {
    kind,
    required: required === "1",
    min: +a,
    max: +b,
    low: bound(a),
    high: bound(b),
    places: +(places || 0),
    choices: kind === "choice" ? (a || "").split("|") : [],
    label: labelOf(input),
  };
}

function labelOf(input) {
  return input.getAttribute("data-fw-label") || input.name;
}

/** `Rule::check`: the first message for `value`, or "" when it passes. */
function check(rule, raw) {
  const label = rule.label;
  if (rule.kind === "checkbox") {
    const box = raw.replace(EDGES, "");
    if (["", "false", "off"].includes(box)) return rule.required ? say("MustTick", { label }) : "";
    return ["on", "true"].includes(box) ? "" : say("NotTickable", { label });
  }
  if (["integer", "decimal", "choice"].includes(rule.kind)) {
    const value = raw.replace(EDGES, "");
    if (value === "") return rule.required ? say(rule.kind === "choice" ? "ChooseOne" : "Empty", { label }) : "";
    if (rule.kind === "choice") return rule.choices.includes(value) ? "" : say("NotAChoice", { label });
    return number(rule, value);
  }
  const value = rule.kind === "password" ? raw : raw.replace(EDGES, "");
  if (value === "") return rule.required ? say("Empty", { label }) : "";
  const chars = [...value];
  if (rule.kind !== "password") {
    if (chars.some((c) => CONTROL.test(c) && !LINE.test(c))) return say("ControlCharacters", { label });
    if (chars.every((c) => SPACE.test(c) || INVISIBLE.test(c))) return say("Empty", { label });
  }
  // `rules::length` counts the trimmed characters, a password's too.
  const count = [...value.replace(EDGES, "")].length;
  if (count === 0) return say("Empty", { label });
  if (count < rule.min) return say("TooShort", { label, min: rule.min });
  if (count > rule.max) return say("TooLong", { label, max: rule.max, count });
  return rule.kind === "email" ? email(value) : "";
}

/** `Rule::check_number`: a number's format, places and range (`value` trimmed, not empty). */
function number(rule, value) {
  const label = rule.label;
  const parts = /^[+-]?(\d*)(?:(\.)(\d*))?$/.exec(value);
  const [whole, point, fraction] = parts ? [parts[1], parts[2], parts[3] || ""] : ["", "", ""];
  const wellFormed = parts && (whole !== "" || fraction !== "") && !(point && fraction === "") && value.length <= 32;
  if (rule.kind === "integer" && (!wellFormed || point)) return say("NotWholeNumber", { label });
  if (!wellFormed) return say("NotNumber", { label });
  const n = Number(value);
  if (rule.kind === "decimal" && fraction.length > rule.places) return say("TooManyPlaces", { label, places: rule.places });
  if (rule.low !== null && n < rule.low) return say("NumberTooSmall", { label, min: rule.low });
  if (rule.high !== null && n > rule.high) return say("NumberTooLarge", { label, max: rule.high });
  return "";
}

/** The value a field sends: a box `on` when ticked, a radio group its chosen value. */
function valueOf(input) {
  if (input.type === "checkbox") return input.checked ? "on" : "";
  if (input.type === "radio") return input.form?.elements.namedItem(input.name)?.value ?? "";
  return input.value;
}

/**
 * What is wrong with a field: its rule's message (and a confirmation's, `data-fw-same-as`),
 * or a chosen file's size over its limit.
 */
function problemOf(input) {
  if (input.type === "file") {
    const max = +input.getAttribute("data-fw-max-bytes");
    return [...input.files].some((file) => file.size > max) ? input.getAttribute("data-fw-too-large") : "";
  }
  const rule = ruleOf(input);
  const problem = check(rule, valueOf(input));
  const other = input.getAttribute("data-fw-same-as");
  const theirs = other && input.form?.elements.namedItem(other);
  if (problem || !theirs) return problem;
  const text = (v) => (rule.kind === "password" ? v : v.replace(EDGES, ""));
  return text(valueOf(input)) === text(theirs.value) ? "" : say("NotSame", { label: rule.label, other: labelOf(theirs) });
}

/** `rules::email`. */
function email(value) {
  if (new TextEncoder().encode(value).length > 254) return say("EmailTooLong");
  const at = value.lastIndexOf("@");
  if (at < 0) return say("Email");
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split(".");
  const localOk =
    local !== "" && local.length <= 64 && !local.startsWith(".") && !local.endsWith(".") && !local.includes("..") &&
    /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$/.test(local);
  const tld = labels[labels.length - 1];
  const domainOk =
    labels.length >= 2 &&
    labels.every((l) => l !== "" && l.length <= 63 && !l.startsWith("-") && !l.endsWith("-") && /^[A-Za-z0-9-]+$/.test(l)) &&
    tld.length >= 2 && /^[A-Za-z]+$/.test(tld);
  return localOk && domainOk ? "" : say("Email");
}

// ---- Messages in the form, in the markup the server renders -----------------------------------

/** Shows `message` at `input` (`<p class="field-error" id="<name>-error">`), or takes it away. */
function showField(form, input, message) {
  const id = `${input.name}-error`;
  let slot = [...form.querySelectorAll("p.field-error")].find((p) => p.id === id);
  if (message) {
    if (!slot) {
      slot = doc.createElement("p");
      slot.className = "field-error";
      slot.id = id;
      // After a box's label, where the server puts it; after the input otherwise.
      (input.parentElement?.tagName === "LABEL" ? input.parentElement : input).after(slot);
    }
    slot.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
  } else {
    slot?.remove();
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
}

/**
 * The form's error summary, in the markup the server renders (`<div data-fw-summary>`, a live
 * region): `message` over a list of the fields with a problem, each a link to its field. It
 * takes the focus when `focus` is set; an empty message takes it away.
 */
function summarize(form, message, focus, outside) {
  let box = summaryOf(form);
  if (!message) return box?.remove();
  if (!box) {
    box = doc.createElement("div");
    box.className = "error-summary";
    box.setAttribute("role", "alert");
    box.setAttribute("data-fw-summary", "");
    box.tabIndex = -1;
    box.append(Object.assign(doc.createElement("p"), { className: "form-error" }));
    const hidden = form.querySelectorAll(":scope > input[type=hidden]");
    if (outside) box.setAttribute("data-fw-for", form.id);
    else hidden.length ? hidden[hidden.length - 1].after(box) : form.prepend(box);
  }
  // A row's button (`formwork::items`): the summary stands right after the one that was sent.
  if (outside && outside.nextElementSibling !== box) outside.after(box);
  box.querySelector("p.form-error").textContent = message;
  relist(form, box);
  if (focus) box.focus();
}

/** The form's summary: in it, or for a form that rows share, beside the row's button. */
function summaryOf(form) {
  return form.querySelector("[data-fw-summary]") || (form.id ? doc.querySelector(`[data-fw-summary][data-fw-for="${CSS.escape(form.id)}"]`) : null);
}

/** The summary's list: each field marked invalid, in the words beside it, linked to it. */
function relist(form, box) {
  const notes = [...form.querySelectorAll("p.field-error")];
  const items = [];
  for (const input of form.querySelectorAll("[aria-invalid=true][name]")) {
    const text = notes.find((p) => p.id === `${input.name}-error`)?.textContent;
    if (!text) continue;
    const item = doc.createElement("li");
    const link = input.id ? Object.assign(doc.createElement("a"), { href: `#${input.id}` }) : item;
    link.textContent = text;
    if (link !== item) item.append(link);
    items.push(item);
  }
  const old = box.querySelector("ul");
  // Unchanged (the same words and links), it is left alone: a live region says again whatever
  // is put in it.
  const said = (list) => list.map((i) => `${i.textContent}\n${i.querySelector("a")?.getAttribute("href") || ""}`).join("\n");
  if (said(old ? [...old.children] : []) === said(items)) return;
  old?.remove();
  if (!items.length) return;
  const list = doc.createElement("ul");
  list.append(...items);
  box.append(list);
}

/** Fields the browser found wanting since the last submission, per form. */
const flagged = new WeakMap();

/** Checks one field: always when the user leaves it, while typing only once found wanting. */
function checkField(form, input, leaving) {
  const rule = ruleOf(input);
  if (!rule) return;
  const marks = flagged.get(form) || new Set();
  flagged.set(form, marks);
  if (!leaving && !marks.has(input.name)) return;
  const message = problemOf(input);
  // A field that was fine and still is keeps the server's message (a duplicate, say).
  if (!message && !marks.has(input.name)) return;
  showField(form, input, message);
  message ? marks.add(input.name) : marks.delete(input.name);
  const local = form.getAttribute("data-fw-local") === "1";
  const box = summaryOf(form);
  if (marks.size === 0 && local) {
    summarize(form, "");
    form.removeAttribute("data-fw-local");
  } else if (box) {
    relist(form, box);
  }
}

/** Checks every field before sending; the summary of those wanting takes the focus. */
function checkAll(form) {
  let wanting = false;
  const marks = new Set();
  for (const input of form.querySelectorAll("[data-fw-rule], input[type=file][data-fw-max-bytes]")) {
    const message = problemOf(input);
    if (message) {
      marks.add(input.name);
      wanting = true;
    }
    if (message || flagged.get(form)?.has(input.name)) showField(form, input, message);
  }
  flagged.set(form, marks);
  if (wanting) {
    form.setAttribute("data-fw-local", "1");
    summarize(form, say("FixFields"), true);
  }
  return !wanting;
}

// ---- Sending a form ---------------------------------------------------------------------------

/**
 * Whether this runtime sends `form`: an action form outside an island (an island's own WASM
 * sends those, for its state), and an upload form anywhere (it holds no island state).
 */
function enhanced(form) {
  const kind = form.getAttribute("data-fw-form");
  return kind === "upload" || (kind === "action" && !form.closest(ISLAND));
}

/**
 * The pending state: `aria-busy`, and the submit buttons disabled, saying their pending label.
 * What the form's own components asked for (`formwork::use_form_status`) follows: elements shown
 * or hidden while it is sent (`data-fw-status="pending"`, `"idle"`), controls disabled
 * (`"disabled"`), and the values being sent written out (`data-fw-sending="field"`).
 */
function pending(form, on, data, outside) {
  on ? form.setAttribute("aria-busy", "true") : form.removeAttribute("aria-busy");
  for (const el of form.querySelectorAll("[data-fw-status]")) {
    const when = el.getAttribute("data-fw-status");
    if (when === "disabled") el.disabled = on;
    else if (when !== "no-js") el.hidden = (when === "pending") !== on;
  }
  for (const el of form.querySelectorAll("[data-fw-sending]")) {
    const value = on && data ? data.get(el.getAttribute("data-fw-sending")) : "";
    el.textContent = typeof value === "string" ? value : "";
  }
  const buttons = [...form.elements].filter((el) => el.matches("button[type=submit], button:not([type]), button[data-fw-cancel]"));
  for (const button of buttons) {
    const cancel = button.getAttribute("data-fw-cancel");
    if (cancel) {
      // An upload's button stops it while it runs.
      if (on) button.dataset.fwRest = button.textContent;
      button.textContent = on ? cancel : button.dataset.fwRest;
      button.type = on ? "button" : "submit";
      button.classList.toggle("cancel", on);
      continue;
    }
    button.disabled = on;
    const label = button.getAttribute("data-fw-pending");
    // Of the rows' buttons that share a form, the one that was pressed says it.
    if (!label || (on && outside && button !== outside && !form.contains(button))) continue;
    if (on) {
      button.dataset.fwRest = button.textContent;
      button.textContent = label;
    } else if (button.dataset.fwRest !== undefined) {
      button.textContent = button.dataset.fwRest;
    }
  }
}

/** What tells this form apart from others on the page: its action, and its item's value. */
function identity(form) {
  const item = form.querySelector('input[name="__fw_item"]')?.value;
  const value = item ? form.querySelector(`[name="${CSS.escape(item)}"]`)?.value : "";
  return `${form.getAttribute("action")}\n${value ?? ""}`;
}

/** The same form in `fresh`: the n-th with the same identity, as this one is here. */
function twin(form, fresh) {
  const key = identity(form);
  const mine = [...doc.querySelectorAll("form[data-fw-form]")].filter((f) => identity(f) === key);
  const theirs = [...fresh.querySelectorAll("form[data-fw-form]")].filter((f) => identity(f) === key);
  return theirs[mine.indexOf(form)] || null;
}

const inFlight = new WeakSet();
/** On a form that sends itself: changed again while on its way (`submit_on_change`). */
const AGAIN = "data-fw-again";

/**
 * Submissions on their way: `form` is the form as the page shows it now (a swap for another
 * reason renders it anew), `steps` its preview, `undo` what takes the preview away again.
 */
const sending = new Set();

async function submit(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !enhanced(form) || event.defaultPrevented) return;
  event.preventDefault();
  let again = null;
  if (inFlight.has(form)) return; // one submission at a time: a double click sends once
  if (!checkAll(form)) return;
  const data = new FormData(form, event.submitter);
  // A row's button that submits a form standing elsewhere (`formwork::items`).
  const outside = event.submitter && !form.contains(event.submitter) ? event.submitter : null;
  const record = { form, key: identity(form), data, outside, steps: stepsOf(form), undo: () => {} };
  sending.add(record);
  inFlight.add(form);
  live.submitting += 1;
  // Noted first: a control the form disables while it is sent loses the focus.
  const focused = form.contains(doc.activeElement) ? doc.activeElement : null;
  pending(form, true, data, outside);
  record.undo = preview(form, record.steps, data, outside);
  try {
    const answer =
      form.getAttribute("data-fw-form") === "upload"
        ? await sendWithProgress(form, data)
        : await fetch(form.getAttribute("action"), {
            method: "POST",
            body: new URLSearchParams(data),
            headers: { Accept: "text/html", "x-formwork-enhanced": "1" },
            credentials: "same-origin",
          });
    const target = answer.headers.get("x-formwork-location");
    if (!answer.ok || !target) throw await failure(answer);
    const next = new URL(target, location.href);
    if (next.pathname + next.search !== location.pathname + location.search) {
      // The action sent the browser elsewhere: the page there, rendered fresh, replaces this one.
      sending.delete(record);
      await navigate(next, true);
      return;
    }
    const id = answer.headers.get("x-formwork-revalidation-id");
    const items = listed(answer.headers.get("x-formwork-revalidated"));
    // Heard again on the stream, this revalidation is not acted on twice.
    if (id && remember(id)) tell(id, items);
    // A page asked for later shows every write answered before it was asked for: an earlier
    // one that arrives after it is older than what the page shows, and is not adopted.
    const asked = ++pagesAsked;
    const page = await fetch(next.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!page.ok) throw await failure(page);
    // The server's page shows the outcome: the preview is done with.
    sending.delete(record);
    const text = await page.text();
    if (asked < pageShown) {
      // The page shown already has this outcome: the form, as that page rendered it, is at
      // rest, and a choice made while it was on its way goes now.
      record.undo();
      pending(record.form, false);
      if (record.form.hasAttribute(AGAIN)) again = record.form;
      return;
    }
    pageShown = asked;
    const mine = adoptPage(new DOMParser().parseFromString(text, "text/html"), record.form, focused);
    if (mine && record.form.hasAttribute(AGAIN)) {
      // The latest choice, into the form the page now shows, and on its way in turn.
      carry(record.form, mine);
      again = mine;
    }
    connectSoon();
  } catch (problem) {
    // A string is the server's answer, in words; anything else means no answer (offline).
    if (typeof problem !== "string") console.warn("formwork: the form could not be sent:", problem);
    sending.delete(record);
    record.undo();
    pending(record.form, false);
    summarize(record.form, typeof problem === "string" ? problem : say("Unreachable"), true, sentBy(record));
    if (record.form.hasAttribute(AGAIN)) again = record.form;
  } finally {
    sending.delete(record);
    inFlight.delete(form);
    inFlight.delete(record.form);
    live.submitting -= 1;
    // What the stream said meanwhile, now: its own revalidation is known by then, and skipped.
    if (!live.submitting) live.deferred.splice(0).forEach(([id, items]) => revalidate(id, items));
    if (again) {
      again.removeAttribute(AGAIN);
      again.requestSubmit();
    }
  }
}

/** The row's button that sent `record`'s form from outside it, as the page shows it now. */
function sentBy(record) {
  const { form, outside } = record;
  if (!outside || outside.isConnected) return outside;
  return [...form.elements].find((el) => el.name === outside.name && el.value === outside.value) || null;
}

/** Uploads in flight, by form: their button cancels them. */
const uploads = new Map();

/**
 * Sends an upload form with `XMLHttpRequest`, the one browser API that tells an upload's
 * progress, showing it in the form's `data-fw-progress` part. The answer is shaped as the
 * part of a `fetch` response `submit` reads; a cancelled upload is refused in words.
 */
function sendWithProgress(form, data) {
  const xhr = new XMLHttpRequest();
  uploads.set(form, xhr);
  xhr.open("POST", form.getAttribute("action"));
  xhr.setRequestHeader("Accept", "text/html");
  xhr.setRequestHeader("x-formwork-enhanced", "1");
  xhr.upload.onprogress = (event) => progress(form, event.loaded, event.lengthComputable ? event.total : 0);
  progress(form, 0, 0);
  return new Promise((resolve, reject) => {
    xhr.onload = () =>
      resolve({
        ok: xhr.status >= 200 && xhr.status < 300,
        status: xhr.status,
        headers: { get: (name) => xhr.getResponseHeader(name) },
        text: async () => xhr.responseText,
      });
    xhr.onerror = () => reject(new Error("the upload could not be sent"));
    xhr.onabort = () => reject(say("UploadCancelled"));
    xhr.send(data);
  }).finally(() => {
    uploads.delete(form);
    progress(form, null, 0);
  });
}

/** Shows `sent` of `total` bytes in the form's progress part, or hides it (`sent` null). */
function progress(form, sent, total) {
  const part = form.querySelector("[data-fw-progress]");
  if (!part) return;
  part.hidden = sent === null;
  if (sent === null) return;
  const bar = part.querySelector("progress");
  if (bar) {
    bar.max = Math.max(total, 1);
    bar.value = sent;
  }
  const words = part.querySelector("[aria-live]");
  const megabytes = (bytes) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (words) words.textContent = say("UploadSent", { sent: megabytes(sent), total: megabytes(total) });
}

/** How many pages the answers to this page's forms asked for, and the latest one shown. */
let pagesAsked = 0;
let pageShown = 0;

/** Forms the user typed in since they were rendered: what they typed outlives a swap. */
let dirty = new Set();

/**
 * Shows the page the action came back to, as a browser without JavaScript would, keeping what
 * lives only in this tab: the islands (hydrated, with their own state), what the user typed in
 * other forms and has not sent, the focus, and the scroll position. The sent form is the
 * server's, like everything else: cleared after a success, its input and messages after a
 * refusal. Returns the sent form's twin on the new page, if it has one.
 */
function adoptPage(fresh, sent, focused) {
  const mine = twin(sent, fresh);
  // Where the user is now, outside the sent form: typing elsewhere while it was on its way.
  const focus = sent.contains(doc.activeElement) ? null : whereFocused(fresh);
  const kept = [...dirty].filter((f) => f !== sent && f.isConnected && !f.closest(ISLAND));
  dirty = new Set();
  carryTyped(kept, fresh);
  adoptRoot(fresh);
  const body = doc.adoptNode(fresh.body);
  const top = (root) => [...root.querySelectorAll(ISLAND)].filter((el) => !el.parentElement.closest(ISLAND));
  const here = top(doc.body);
  const incoming = top(body);
  const same = here.length === incoming.length && here.every((el, i) => el.dataset.component === incoming[i].dataset.component);
  if (same) incoming.forEach((el, i) => el.replaceWith(here[i]));
  const [x, y] = [scrollX, scrollY];
  doc.body.replaceWith(body);
  scrollTo(x, y);
  ready();
  stillSending();
  if (!giveBack(focus) && mine) refocus(mine, focused);
  return mine;
}

/**
 * The focused element and its caret, before a swap, with its counterpart in `fresh` (the same
 * field of the same form, or the element of the same id): what `giveBack` focuses again after
 * it. Keystrokes sent meanwhile would otherwise land nowhere. Null when nothing has the focus.
 */
function whereFocused(fresh) {
  const el = doc.activeElement;
  if (!el || el === doc.body || el === doc.documentElement) return null;
  let caret = null;
  try {
    if (typeof el.selectionStart === "number") caret = [el.selectionStart, el.selectionEnd, el.selectionDirection];
  } catch {
    // A kind of input without a caret.
  }
  let theirs = el.id ? fresh.getElementById(el.id) : null;
  if (el.form && el.form.hasAttribute("data-fw-form")) {
    const other = twin(el.form, fresh);
    theirs = other && sameField(el, other);
  }
  return { el, theirs, caret };
}

/** Focuses again what `whereFocused` found (itself if a swap kept it, an island's), caret too. */
function giveBack(focus) {
  const target = focus && (focus.el.isConnected ? focus.el : focus.theirs);
  if (!target || !target.isConnected) return false;
  target.focus({ preventScroll: true });
  if (focus.caret) {
    try {
      target.setSelectionRange(...focus.caret);
    } catch {
      // A kind of input without a caret.
    }
  }
  return doc.activeElement === target;
}

/** What the user typed in each of `forms`, into its twin in `fresh`. */
function carryTyped(forms, fresh) {
  for (const form of forms) {
    const theirs = twin(form, fresh);
    if (theirs) carry(form, theirs);
  }
}

/** `field`'s counterpart in the form `theirs`: the n-th of its name and type, as it is in its own. */
function sameField(field, theirs) {
  const alike = (f) => f.name === field.name && f.type === field.type;
  return [...theirs.elements].filter(alike)[[...field.form.elements].filter(alike).indexOf(field)] || null;
}

/** What the user typed in `form` (not yet sent), into its twin `theirs`. */
function carry(form, theirs) {
  for (const field of form.elements) {
    if (!field.name || field.type === "hidden" || field.type === "submit" || field.type === "file") continue;
    const match = sameField(field, theirs);
    if (!match) continue;
    if (field.type === "checkbox" || field.type === "radio") match.checked = field.checked;
    else match.value = field.value;
  }
  dirty.add(theirs);
}

/**
 * What the whole page says about itself, from the page the action came back to: its title,
 * and the root element's attributes (an action may change the theme, or the language).
 */
function adoptRoot(fresh) {
  const root = doc.documentElement;
  const theirs = fresh.documentElement;
  doc.title = fresh.title;
  for (const name of root.getAttributeNames()) {
    if (name !== "data-fw-live" && !theirs.hasAttribute(name)) root.removeAttribute(name);
  }
  for (const name of theirs.getAttributeNames()) root.setAttribute(name, theirs.getAttribute(name));
}

/** The message of an answer that is not the way back to the page. */
async function failure(answer) {
  const text = await answer.text().catch(() => "");
  if ((answer.headers.get("content-type") || "").includes("text/html")) {
    const main = new DOMParser().parseFromString(text, "text/html").querySelector("main");
    return main?.textContent.trim().replace(/\s+/g, " ") || say("Unreachable");
  }
  return text.trim() || say("Unreachable");
}

/** After a swap: the form's error summary, or the element that had the focus. */
function refocus(form, focused) {
  const summary = form.querySelector("[data-fw-summary]");
  if (summary) return summary.focus();
  if (!focused) return;
  const same = focused.id ? form.querySelector(`#${CSS.escape(focused.id)}`) : null;
  const named = focused.name ? form.querySelector(`[name="${CSS.escape(focused.name)}"]`) : null;
  (same || named)?.focus();
}

// ---- Previews: what the page shows while a form is on its way (formwork::preview) ------------

/** The form's preview steps (`data-fw-preview`), or none. */
function stepsOf(form) {
  try {
    const steps = JSON.parse(form.getAttribute("data-fw-preview") || "[]");
    return Array.isArray(steps) ? steps.filter(Array.isArray) : [];
  } catch {
    return [];
  }
}

/**
 * Applies `steps` for `form`, sending `data`, to the page; returns what undoes them. Values are
 * the sent fields', written as text or attribute values, never as markup.
 */
function preview(form, steps, data, outside) {
  if (!steps.length) return () => {};
  const undo = [];
  const item = (outside || form).closest("[data-fw-item]");
  const value = (name) => String(data.get(name) ?? "").trim();
  const within = (selector) => (selector ? [...(item || doc).querySelectorAll(selector)] : item ? [item] : []);
  for (const [kind, a, b, c] of steps) {
    if (kind === "hide" && item) {
      // `hidden`, and a style no stylesheet's `display` outranks.
      const [was, display] = [item.hidden, item.style.getPropertyValue("display")];
      item.hidden = true;
      item.style.setProperty("display", "none", "important");
      undo.push(() => {
        item.hidden = was;
        display ? item.style.setProperty("display", display) : item.style.removeProperty("display");
      });
    } else if (kind === "class") {
      for (const el of within(a)) {
        const was = el.classList.contains(b);
        el.classList.toggle(b, value(c) === "true");
        undo.push(() => el.classList.toggle(b, was));
      }
    } else if (kind === "attr") {
      for (const el of within(a)) {
        const was = el.getAttribute(b);
        el.setAttribute(b, value(c));
        undo.push(() => (was === null ? el.removeAttribute(b) : el.setAttribute(b, was)));
      }
    } else if (kind === "text") {
      for (const el of within(a)) {
        const was = el.textContent;
        el.textContent = value(b);
        undo.push(() => (el.textContent = was));
      }
    } else if (kind === "append" || kind === "prepend") {
      const list = doc.querySelector(a);
      const template = doc.getElementById(b);
      if (!list || !(template instanceof HTMLTemplateElement)) continue;
      const copy = template.content.cloneNode(true);
      fill(copy, (name) => (data.has(name) ? value(name) : null));
      const added = [...copy.childNodes];
      kind === "append" ? list.append(copy) : list.prepend(copy);
      undo.push(() => added.forEach((node) => node.remove()));
    }
  }
  recount();
  return () => {
    undo.reverse().forEach((step) => step());
    recount();
  };
}

/** Each `{name}` in `root`'s text and attribute values, as `value(name)` (kept when null). */
function fill(root, value) {
  const slot = /\{([A-Za-z0-9_]+)\}/g;
  const put = (text) => text.replace(slot, (whole, name) => value(name) ?? whole);
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeType === Node.TEXT_NODE) node.data = put(node.data);
    else for (const attr of node.attributes) attr.value = put(attr.value);
  }
}

/** Every `Count` on the page, counted again (what is hidden is not counted). */
function recount() {
  for (const count of doc.querySelectorAll("[data-fw-count]")) {
    let n;
    try {
      n = [...doc.querySelectorAll(count.getAttribute("data-fw-count"))].filter((el) => !el.closest("[hidden]")).length;
    } catch {
      continue; // not a selector this browser knows
    }
    const words = n === 1 ? count.getAttribute("data-fw-one") : count.getAttribute("data-fw-other");
    count.textContent = (words || "").replace("{n}", n);
  }
}

/**
 * After a swap for another reason: the forms still on their way, as the fresh markup shows
 * them, are pending again and show their previews again, until their own answers arrive.
 */
function stillSending() {
  const forms = [...doc.querySelectorAll("form[data-fw-form]")];
  for (const record of sending) {
    if (record.form.isConnected) continue;
    const here = forms.find((f) => identity(f) === record.key);
    record.undo = () => {};
    if (!here) continue;
    record.form = here;
    inFlight.add(here);
    const outside = sentBy(record);
    pending(here, true, record.data, outside);
    record.undo = preview(here, record.steps, record.data, outside);
  }
}

// ---- Reads: the results follow the typing -------------------------------------------------------

const timers = new WeakMap();

function follow(form, delay) {
  clearTimeout(timers.get(form));
  timers.set(
    form,
    setTimeout(() => {
      const url = `${form.getAttribute("action")}?${new URLSearchParams(new FormData(form))}`;
      history.replaceState(null, "", url);
      refresh((form.getAttribute("data-fw-regions") || "").split(" ").filter(Boolean));
    }, delay),
  );
}

// ---- Navigation: a redirect's page in place of this one --------------------------------------

/** The address of the page shown: a history step to another one shows that one. */
let shown = location.pathname + location.search;

/**
 * Shows the page at `url` in place of this one, as a document load would (its title, the root
 * element's attributes, its body, the top of the page, the focus on its error summary or its
 * heading), without one: this tab keeps its script, its stream and its `window`. `push` adds a
 * history entry (a redirect); a step back or forth has one already. A page with islands here
 * or there needs its WASM started by a document load, and so does anything that fails.
 */
async function navigate(url, push) {
  try {
    if (doc.querySelector(ISLAND)) throw new Error("this page has islands");
    const answer = await fetch(url.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!answer.ok || !(answer.headers.get("content-type") || "").includes("text/html")) {
      throw new Error(`the page answered ${answer.status}`);
    }
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
    if (fresh.querySelector(ISLAND)) throw new Error("that page has islands");
    const at = new URL(answer.redirected ? answer.url : url.href);
    at.hash = url.hash;
    if (push) history.pushState(null, "", at.href);
    shown = at.pathname + at.search;
    adoptRoot(fresh);
    dirty = new Set();
    live.since = fresh.querySelector('meta[name="formwork-live"]')?.content || live.since;
    doc.body.replaceWith(doc.adoptNode(fresh.body));
    scrollTo(0, 0);
    ready();
    recount();
    const target = doc.querySelector("[data-fw-summary]") || doc.querySelector("main h1, h1");
    if (target) {
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
    }
    connectSoon();
  } catch (problem) {
    console.debug("formwork: a document load instead:", problem);
    if (push) location.assign(url.href);
    else location.reload();
  }
}

// A step back or forth to another page's entry (not a fragment of this one) shows that page.
addEventListener("popstate", () => {
  if (location.pathname + location.search !== shown) navigate(new URL(location.href), false);
});

// ---- Regions and the live stream --------------------------------------------------------------

const live = {
  handled: [],
  watchers: new Map(),
  nextWatch: 0,
  source: null,
  key: "",
  since: doc.querySelector('meta[name="formwork-live"]')?.content || null,
  backoff: 0,
  scheduled: false,
  refreshing: false,
  waiting: new Set(),
  /** Forms in flight; what the stream says meanwhile waits for them (see `submit`). */
  submitting: 0,
  deferred: [],
};

function listed(header) {
  return (header || "").split(",").map((i) => i.trim()).filter(Boolean);
}

/** `live::concerns`: whether a page showing `tags` at `path` must refresh for `item`. */
function concerns(item, path, tags) {
  if (item === "all") return true;
  if (item.startsWith("tag:")) return tags.includes(item.slice(4));
  return item.startsWith("path:") && inScope(item.slice(5), path);
}

/** `live::in_scope`: `/posts` is that page; `/posts/*` it and every page under it; `/*` all. */
function inScope(scope, page) {
  if (!scope.endsWith("/*")) return page === scope;
  const base = scope.slice(0, -2);
  return page === base || page.startsWith(base + "/");
}

function regions() {
  // A region without tags still shows what its page read: a path revalidation reaches it.
  return [...doc.querySelectorAll("[data-fw-region]")].map((el) => ({
    name: el.getAttribute("data-fw-region"),
    tags: (el.getAttribute("data-fw-tags") || "").split(/\s+/).filter(Boolean),
  }));
}

/** The names of the regions that `items` concern. */
function concerned(items) {
  const path = location.pathname;
  return regions()
    .filter((r) => items.some((i) => concerns(i, path, r.tags)))
    .map((r) => r.name);
}

/**
 * Replaces each named region with its markup in `fresh` (emptied when it has none), keeping
 * what the user typed in its forms and has not sent, and the focus, as a page swap does.
 */
function swapRegions(fresh, names) {
  for (const name of names) {
    const selector = `[data-fw-region="${CSS.escape(name)}"]`;
    const here = doc.querySelector(selector);
    if (!here) continue;
    const focus = here.contains(doc.activeElement) ? whereFocused(fresh) : null;
    const typed = [...dirty].filter((f) => here.contains(f));
    typed.forEach((f) => dirty.delete(f));
    carryTyped(typed, fresh);
    // Moved, not copied as markup: a carried value is the input's state, not an attribute.
    const incoming = fresh.querySelector(selector);
    here.replaceChildren(...(incoming ? [...incoming.childNodes].map((n) => doc.adoptNode(n)) : []));
    giveBack(focus);
  }
  if (names.length) {
    ready();
    stillSending();
  }
}

/** Whether this revalidation is new here (each is acted on once per page). */
function remember(id) {
  if (live.handled.includes(id)) return false;
  live.handled.push(id);
  if (live.handled.length > 64) live.handled.shift();
  return true;
}

/** Acts on a revalidation once: the concerned watchers are told, the concerned regions refreshed. */
async function revalidate(id, items) {
  if (!remember(id) || !items.length) return;
  tell(id, items);
  const names = concerned(items);
  if (names.length) await refresh(names);
}

/** Tells the islands' resources that `items` concern. */
function tell(id, items) {
  const path = location.pathname;
  for (const watcher of [...live.watchers.values()]) {
    if (items.some((i) => concerns(i, path, watcher.tags))) watcher.refetch(id);
  }
}

/** Refreshes regions from the page's current address; names asked for meanwhile wait for the next fetch. */
async function refresh(names) {
  names.forEach((n) => live.waiting.add(n));
  if (live.refreshing) return;
  live.refreshing = true;
  try {
    while (live.waiting.size) {
      const batch = [...live.waiting];
      live.waiting.clear();
      try {
        const page = await fetch(location.href, {
          headers: { Accept: "text/html", "x-formwork-refresh": "1" },
          credentials: "same-origin",
        });
        if (!page.ok) throw new Error(`the page answered ${page.status}`);
        swapRegions(new DOMParser().parseFromString(await page.text(), "text/html"), batch);
      } catch (error) {
        console.warn("formwork: could not refresh the page's regions:", error);
      }
    }
  } finally {
    live.refreshing = false;
  }
  connectSoon(); // fresh markup may show other things (a new post and its tags)
}

function connectSoon(delay = 0) {
  if (live.scheduled) return;
  live.scheduled = true;
  setTimeout(() => {
    live.scheduled = false;
    connect();
  }, delay);
}

function markLive(open) {
  doc.documentElement.setAttribute("data-fw-live", open ? "open" : "closed");
}

/**
 * Opens the stream for the page's path and tags (from where it last heard), or closes it when
 * nothing on the page refreshes (no region, no island resource).
 */
function connect() {
  if (doc.hidden) return;
  const shown = regions();
  const tags = new Set(shown.flatMap((r) => r.tags));
  live.watchers.forEach((w) => w.tags.forEach((t) => tags.add(t)));
  const sorted = [...tags].sort();
  const key = `${location.pathname} ${sorted.join(" ")}`;
  if (live.source && live.key === key && live.source.readyState !== EventSource.CLOSED) return;
  live.source?.close();
  live.source = null;
  if (!shown.length && !live.watchers.size) return;
  const query = new URLSearchParams({ path: location.pathname, tags: sorted.join(" ") });
  if (live.since) query.set("since", live.since);
  const source = new EventSource("/_formwork/live?" + query);
  live.source = source;
  live.key = key;
  source.addEventListener("revalidate", (event) => {
    if (event.lastEventId) live.since = event.lastEventId;
    try {
      const { id, items } = JSON.parse(event.data);
      // While a form is in flight, its own revalidation may come first on the stream: the page
      // it comes back to shows that already, so the stream waits for it.
      if (live.submitting) live.deferred.push([id, items]);
      else revalidate(id, items);
    } catch {
      // Not an event of ours: nothing to act on.
    }
  });
  source.addEventListener("open", () => {
    live.backoff = 0;
    markLive(true);
  });
  source.addEventListener("error", () => {
    // The browser retries a dropped stream by itself; one it gave up on is retried here,
    // waiting longer each time.
    markLive(false);
    if (source.readyState === EventSource.CLOSED && live.source === source) {
      live.source = null;
      live.backoff = Math.min(Math.max(live.backoff * 2, 1000), 30000);
      connectSoon(live.backoff);
    }
  });
}

// A tab in the background holds no connection: it closes its stream when hidden, and when
// shown again reopens it where it left off.
doc.addEventListener("visibilitychange", () => {
  if (doc.hidden) {
    live.source?.close();
    live.source = null;
  } else {
    connectSoon();
  }
});

// ---- Wiring -----------------------------------------------------------------------------------

/** Marks the forms this runtime drives as ready (styles and tests can tell they are live). */
function ready() {
  for (const form of doc.querySelectorAll("form[data-fw-form]:not([data-fw-ready])")) {
    if (enhanced(form) || form.getAttribute("data-fw-form") === "query") form.setAttribute(READY, "");
    // What only a browser without JavaScript needs (`FormStatus::hidden_with_js`).
    if (enhanced(form)) for (const el of form.querySelectorAll('[data-fw-status="no-js"]')) el.hidden = true;
  }
}

doc.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.getAttribute?.("data-fw-form") === "query") {
    event.preventDefault();
    follow(form, 0);
  } else {
    submit(event);
  }
});
doc.addEventListener("click", (event) => {
  const button = event.target.closest?.("button[data-fw-cancel]");
  const upload = button && uploads.get(button.form);
  if (upload) {
    event.preventDefault();
    upload.abort();
  }
});
// A form that sends itself (`submit_on_change`): a changed control sends it, as its button would.
doc.addEventListener("change", (event) => {
  const form = event.target.form;
  if (!form || !enhanced(form) || form.getAttribute("data-fw-submit-on") !== "change") return;
  if (!event.target.name) return;
  // Changed again while the last change is on its way: sent once that one is answered.
  if (inFlight.has(form)) return form.setAttribute(AGAIN, "");
  form.requestSubmit();
});
doc.addEventListener("focusout", (event) => {
  const form = event.target.form;
  if (form && enhanced(form)) checkField(form, event.target, true);
});
doc.addEventListener("input", (event) => {
  const form = event.target.form;
  if (!form) return;
  if (form.getAttribute("data-fw-form") === "query") return follow(form, +(form.getAttribute("data-fw-debounce") || 250));
  if (!enhanced(form)) return;
  dirty.add(form);
  checkField(form, event.target, false);
});

// What islands use: their resources watch tags, their forms revalidate.
window.formwork = {
  watch(tags, refetch) {
    const id = ++live.nextWatch;
    live.watchers.set(id, { tags: [...tags], refetch });
    connectSoon();
    return id;
  },
  unwatch(id) {
    live.watchers.delete(id);
    connectSoon();
  },
  revalidate: (id, items) => revalidate(id, [...items]),
};

ready();
connectSoon();

// Islands: their script waits, inert, in a template; a page that has one starts it (after
// `window.formwork` is in place), and a page without one fetches no WASM at all.
const islands = doc.getElementById("formwork-islands");
if (islands && doc.querySelector(ISLAND)) doc.head.append(islands.content.cloneNode(true));
