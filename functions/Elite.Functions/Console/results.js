// Results: a job's gallery (prompt, seed, λ, download) and its problems (input rows refused, tasks failed).
import { api, el, query, say, statusBadge } from "./console.js";

const picker = document.getElementById("job");
const message = document.getElementById("results-message");

/** The job with every page of its tasks. */
async function wholeJob(jobId) {
  const job = await api(`jobs/${encodeURIComponent(jobId)}?pageSize=1000`);
  const tasks = [...job.tasks];
  for (let continuation = job.tasksContinuation; continuation;) {
    const page = await api(`jobs/${encodeURIComponent(jobId)}/tasks?pageSize=1000&continuation=${encodeURIComponent(continuation)}`);
    tasks.push(...page.tasks);
    continuation = page.continuation;
  }
  return { ...job, tasks };
}

function figure(task) {
  return el("li", {}, el("figure", {},
    el("a", { href: task.result, target: "_blank", rel: "noopener" }, el("img", { src: task.result, alt: `“${task.prompt}”, seed ${task.seed}`, loading: "lazy" })),
    el("figcaption", {},
      el("div", {}, task.prompt),
      el("div", { class: "meta" }, `seed ${task.seed} · λ ${task.lambda}`),
      el("a", { href: task.result, download: `${task.id}.png` }, "Download PNG", el("span", { class: "visually-hidden" }, ` of “${task.prompt}”, seed ${task.seed}`)))));
}

async function show(jobId) {
  say(message, `Loading job ${jobId}…`);
  const job = await wholeJob(jobId);
  history.replaceState(null, "", `?job=${encodeURIComponent(jobId)}`);
  document.getElementById("results-title").textContent = `Images of job ${job.id}`;
  document.getElementById("results-summary").replaceChildren(statusBadge(job.status),
    ` ${job.succeededCount} of ${job.taskCount} images`, job.canceledCount ? `, ${job.canceledCount} canceled` : "", job.failedCount ? `, ${job.failedCount} failed` : "");
  const images = job.tasks.filter(t => t.status === "Succeeded" && t.result);
  document.getElementById("gallery").replaceChildren(...(images.length ? images.map(figure) : [el("li", {}, "No images yet.")]));
  const problems = [
    ...(job.reason ? [el("li", { class: "reason error" }, job.reason)] : []),
    ...job.tasks.filter(t => t.status === "Failed").map(t => el("li", {}, `“${t.prompt}”, seed ${t.seed}: `, el("span", { class: "reason error" }, t.reason ?? "failed"))),
  ];
  document.getElementById("problems").replaceChildren(...(problems.length ? problems : [el("li", {}, "None.")]));
  document.getElementById("results").hidden = false;
  say(message, "");
}

document.getElementById("pick-form").addEventListener("submit", event => {
  event.preventDefault();
  show(picker.value).catch(error => say(message, error.message, true));
});

try {
  const page = await api("jobs");
  const wanted = query("job");
  const choices = page.jobs.map(job => ({ id: job.id, label: `${job.id}: ${job.status}, ${job.succeededCount} of ${job.taskCount} images` }));
  if (wanted && !choices.some(c => c.id === wanted)) choices.unshift({ id: wanted, label: wanted });
  picker.replaceChildren(...choices.map(c => el("option", { value: c.id, selected: c.id === wanted }, c.label)));
  if (choices.length) await show(wanted ?? choices[0].id);
  else say(message, "No jobs yet: submit one on the jobs page.");
} catch (error) {
  say(message, error.message, true);
}
