// Concepts: upload through the API's write-only links, follow the encoding, show the photo beside the mask it used.
import { api, ApiError, el, knownConcepts, say, sleep, statusBadge } from "./console.js";

const list = document.getElementById("concepts");
const uploadMessage = document.getElementById("upload-message");
const maskSources = { upload: "uploaded", alpha: "from the photo's alpha", auto: "automatic" };

const extension = file => file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";

async function put(url, file) {
  const response = await fetch(url, { method: "PUT", headers: { "x-ms-blob-type": "BlockBlob", "content-type": file.type || "application/octet-stream" }, body: file });
  if (!response.ok) throw new Error(`the storage account refused the upload of ${file.name} (${response.status})`);
}

function image(src, alt, caption) {
  return el("figure", {}, src ? el("img", { src, alt }) : el("div", { class: "missing" }, "not kept by the worker"), el("figcaption", {}, caption));
}

function card(concept) {
  const message = el("p", { class: "message", role: "status", "aria-live": "polite" });
  const remove = el("button", {
    type: "button", class: "danger", "aria-label": `Delete concept ${concept.id}`,
    onclick: async () => {
      remove.disabled = true;
      try {
        await api(`concepts/${encodeURIComponent(concept.id)}`, { method: "DELETE" });
        knownConcepts.remove(concept.id);
        item.remove();
        say(uploadMessage, `Concept ${concept.id} deleted.`);
      } catch (error) {
        say(message, error.message, true);
        remove.disabled = false;
      }
    },
  }, "Delete");
  const mask = maskSources[concept.maskSource] ?? concept.maskSource;
  const item = el("li", { class: "card", "data-concept": concept.id },
    el("h3", {}, concept.id),
    el("p", {}, statusBadge(concept.status), mask ? ` mask ${mask}` : null),
    concept.reason ? el("p", { class: concept.status === "Pending" ? "reason" : "reason error" }, concept.reason) : null,
    concept.status === "Ready"
      ? el("div", { class: "pair" },
          image(concept.photo, `Photo of concept ${concept.id}`, "Photo"),
          image(concept.mask, `Mask the encoding of ${concept.id} used`, `Mask (${mask})`))
      : null,
    el("div", { class: "actions" },
      concept.status === "Ready" ? el("a", { href: `jobs.html?concept=${encodeURIComponent(concept.id)}` }, "Use in a job") : null,
      remove),
    message);
  return item;
}

function show(concept) {
  const fresh = card(concept);
  const old = list.querySelector(`[data-concept="${CSS.escape(concept.id)}"]`);
  if (old) old.replaceWith(fresh);
  else list.prepend(fresh);
}

/** Reads the concept until it is no longer Pending, showing each change of state. */
async function follow(id) {
  let shown = "";
  while (true) {
    let concept;
    try {
      concept = await api(`concepts/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        knownConcepts.remove(id);
        list.querySelector(`[data-concept="${CSS.escape(id)}"]`)?.remove();
        say(uploadMessage, `Concept ${id} no longer exists.`);
        return;
      }
      throw error;
    }
    const state = `${concept.status}|${concept.reason ?? ""}`;
    if (state !== shown) show(concept);
    shown = state;
    if (concept.status !== "Pending") return concept;
    await sleep(1000);
  }
}

document.getElementById("upload-form").addEventListener("submit", async event => {
  event.preventDefault();
  const form = event.currentTarget;
  const photo = form.photo.files[0];
  const mask = form.mask.files[0];
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    say(uploadMessage, "Creating the concept…");
    const created = await api(`concepts?photo=${encodeURIComponent(extension(photo))}${mask ? `&mask=${encodeURIComponent(extension(mask))}` : ""}`, { method: "POST" });
    knownConcepts.add(created.id);
    show({ id: created.id, status: created.status, reason: "uploading" });
    if (mask) {
      // The mask first, so that the photo's upload starts one encoding with it. A second apart: the local host's
      // polling blob trigger misses a blob written in the same second as one it has just seen.
      await put(created.maskUploadUrl, mask);
      await sleep(1100);
    }
    await put(created.photoUploadUrl, photo);
    say(uploadMessage, `Uploaded ${photo.name}${mask ? ` and ${mask.name}` : ""} as concept ${created.id}; encoding…`);
    form.reset();
    const concept = await follow(created.id);
    if (concept) say(uploadMessage, `Concept ${concept.id} is ${concept.status}.`, concept.status !== "Ready");
  } catch (error) {
    say(uploadMessage, error.message, true);
  } finally {
    button.disabled = false;
  }
});

document.getElementById("track-form").addEventListener("submit", async event => {
  event.preventDefault();
  const id = event.currentTarget.concept.value.trim();
  knownConcepts.add(id);
  event.currentTarget.reset();
  await follow(id).catch(error => say(uploadMessage, error.message, true));
});

for (const id of knownConcepts.all()) {
  list.append(el("li", { class: "card", "data-concept": id }, el("h3", {}, id), el("p", {}, "Loading…")));
  follow(id).catch(error => say(uploadMessage, error.message, true));
}
