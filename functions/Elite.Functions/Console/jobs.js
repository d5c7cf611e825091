// Jobs: submit prompts for a concept, watch a job's tasks finish one by one, cancel it.
import { api, el, knownConcepts, query, say, sleep, statusBadge } from "./console.js";

const form = document.getElementById("job-form");
const submitMessage = document.getElementById("submit-message");
const watchSection = document.getElementById("watch");
const taskRows = document.getElementById("watch-tasks");
const cancelButton = document.getElementById("cancel");
const cancelMessage = document.getElementById("cancel-message");
const finalStates = ["Succeeded", "PartiallySucceeded", "Failed", "Canceled"];
let watched = null;

document.getElementById("concept-ids").append(...knownConcepts.all().map(id => el("option", { value: id })));
form.concept.value = query("concept") ?? knownConcepts.all()[0] ?? "";

function submission() {
  const seeds = form.seeds.value.trim() ? form.seeds.value.trim().split(/[\s,]+/).map(Number) : null;
  const count = Number(form.count.value);
  const prompts = form.prompts.value.split("\n").map(line => line.trim()).filter(line => line.length > 0);
  return {
    conceptId: form.concept.value.trim(),
    prompts: prompts.map(prompt => seeds ? { prompt, seeds } : { prompt, count }),
    steps: Number(form.steps.value),
    guidance: Number(form.guidance.value),
    lambda: Number(form.lambda.value),
    scheduler: form.scheduler.value,
  };
}

form.addEventListener("submit", async event => {
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const accepted = await api("jobs", { method: "POST", json: submission() });
    say(submitMessage, `Job ${accepted.jobId} accepted: ${accepted.tasks} images.`);
    watch(accepted.jobId);
  } catch (error) {
    say(submitMessage, `Not submitted: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
});

cancelButton.addEventListener("click", async () => {
  cancelButton.disabled = true;
  try {
    const job = await api(`jobs/${encodeURIComponent(watched)}/cancel`, { method: "POST" });
    say(cancelMessage, `Cancel requested: no task starts any more (now ${job.status}).`);
  } catch (error) {
    say(cancelMessage, error.message, true);
    cancelButton.disabled = false;
  }
});

function taskRow(task) {
  return el("tr", { "data-task": task.id, "data-status": task.status },
    el("td", {}, task.result
      ? el("a", { href: task.result, target: "_blank", rel: "noopener" }, el("img", { src: task.result, alt: `Image of “${task.prompt}”, seed ${task.seed}` }))
      : "—"),
    el("td", {}, task.prompt),
    el("td", {}, String(task.seed)),
    el("td", {}, statusBadge(task.status), task.reason ? el("div", { class: task.status === "Failed" ? "reason error" : "reason" }, task.reason) : null));
}

/** Shows the job; a task's row is redrawn only when its state changes, so finished images stay as they loaded. */
function showJob(job) {
  document.getElementById("watch-title").textContent = `Job ${job.id}`;
  document.getElementById("watch-status").replaceChildren(statusBadge(job.status), job.cancelRequested && !finalStates.includes(job.status) ? " cancel requested" : "");
  document.getElementById("watch-results").href = `results.html?job=${encodeURIComponent(job.id)}`;
  const done = job.succeededCount + job.failedCount + job.canceledCount;
  const progress = document.getElementById("watch-progress");
  progress.max = Math.max(job.taskCount, 1);
  progress.value = done;
  const running = job.tasks.filter(t => t.status === "Running").length;
  const counts = [["images", job.taskCount], ["succeeded", job.succeededCount], ["running", running], ["failed", job.failedCount], ["canceled", job.canceledCount]];
  document.getElementById("watch-counts").replaceChildren(...counts.map(([name, value]) => el("li", { "data-count": name }, el("b", {}, String(value)), ` ${name}`)));
  document.getElementById("watch-reason").textContent = job.reason ?? "";
  cancelButton.hidden = finalStates.includes(job.status);
  for (const task of job.tasks) {
    const row = taskRows.querySelector(`[data-task="${CSS.escape(task.id)}"]`);
    if (!row) taskRows.append(taskRow(task));
    else if (row.dataset.status !== task.status) row.replaceWith(taskRow(task));
  }
}

/** Follows one job (the newest asked for) until it ends. */
async function watch(jobId) {
  watched = jobId;
  history.replaceState(null, "", `?job=${encodeURIComponent(jobId)}`);
  watchSection.hidden = false;
  taskRows.replaceChildren();
  say(cancelMessage, "");
  cancelButton.disabled = false;
  let status = "";
  while (watched === jobId) {
    const job = await api(`jobs/${encodeURIComponent(jobId)}?pageSize=1000`);
    if (watched !== jobId) return;
    showJob(job);
    if (job.status !== status) await listJobs();
    status = job.status;
    if (finalStates.includes(job.status)) return;
    await sleep(1000);
  }
}

async function listJobs() {
  const page = await api("jobs");
  document.getElementById("jobs").replaceChildren(...page.jobs.map(job => el("tr", {},
    el("td", {}, el("a", { href: `results.html?job=${encodeURIComponent(job.id)}` }, job.id)),
    el("td", {}, statusBadge(job.status)),
    el("td", {}, `${job.succeededCount} of ${job.taskCount}`),
    el("td", {}, job.createdAt ? new Date(job.createdAt).toLocaleString() : ""),
    el("td", {}, el("button", { type: "button", class: "secondary", "aria-label": `Watch job ${job.id}`, onclick: () => watch(job.id).catch(error => say(submitMessage, error.message, true)) }, "Watch")))));
}

listJobs().catch(error => say(submitMessage, error.message, true));
if (query("job")) watch(query("job")).catch(error => say(submitMessage, error.message, true));
