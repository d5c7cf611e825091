// What every console page shares: the API client (with the caller's function key), the key form, small DOM helpers.
const keyName = "elite.functionKey";
const conceptsName = "elite.concepts";

/** An answer of the API that was not a success, with the problems its ApiErrors body lists. */
export class ApiError extends Error {
  constructor(status, problems) {
    super(problems.length ? problems.map(p => `${p.field}: ${p.message}`).join("; ") : `the API answered ${status}`);
    this.status = status;
  }
}

/** Calls /api/{path}; the key entered on the page goes in x-functions-key (the local host needs none). */
export async function api(path, { method = "GET", json } = {}) {
  const headers = {};
  const key = sessionStorage.getItem(keyName);
  if (key) headers["x-functions-key"] = key;
  if (json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`/api/${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, body?.errors ?? []);
  return body;
}

/** The concepts this browser created or looked up, newest first (the API lists no concepts). */
export const knownConcepts = {
  all: () => JSON.parse(localStorage.getItem(conceptsName) ?? "[]"),
  add(id) { localStorage.setItem(conceptsName, JSON.stringify([id, ...this.all().filter(c => c !== id)])); },
  remove(id) { localStorage.setItem(conceptsName, JSON.stringify(this.all().filter(c => c !== id))); },
};

/** An element with attributes and children (strings become text: nothing from the API is parsed as HTML). */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter(c => c !== null && c !== undefined && c !== false));
  return element;
}

export function statusBadge(status) {
  return el("span", { class: `status status-${status}` }, status.replace(/([a-z])([A-Z])/g, "$1 $2"));
}

/** Shows a message in a live region; an error is shown as one. */
export function say(region, text, isError = false) {
  region.textContent = text;
  region.classList.toggle("error", isError);
}

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

export const query = name => new URLSearchParams(location.search).get(name);

function setUpKeyForm() {
  const form = document.getElementById("key-form");
  const input = document.getElementById("function-key");
  input.value = sessionStorage.getItem(keyName) ?? "";
  form.addEventListener("submit", event => {
    event.preventDefault();
    if (input.value) sessionStorage.setItem(keyName, input.value);
    else sessionStorage.removeItem(keyName);
    location.reload();
  });
}

setUpKeyForm();
