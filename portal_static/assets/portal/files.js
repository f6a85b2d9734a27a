// Files customers attach: the limits portal.json announces, checked before upload, and the
// presigned upload itself (the bytes go straight to S3, never through the API).
import { api, config, formatBytes, t } from "./core.js";

export function showLimits(node) {
  node.textContent = t("new.limits", { n: config.max_attachments, size: formatBytes(config.max_attachment_bytes) });
}

export function checkFiles(input, errorNode) {
  const files = [...input.files];
  let problem = "";
  if (files.length > config.max_attachments) problem = t("new.too_many", { n: config.max_attachments });
  const big = files.find((f) => f.size > config.max_attachment_bytes);
  if (big) problem = t("new.too_big", { name: big.name, size: formatBytes(config.max_attachment_bytes) });
  errorNode.textContent = problem;
  input.setAttribute("aria-invalid", problem ? "true" : "false");
  return !problem;
}

// Upload one file to a ticket (or, without a ticket id, for the ticket about to be opened); the
// attachment id a reply (or the new ticket) names.
export async function upload(ticketId, file) {
  const path = ticketId ? `/tickets/${encodeURIComponent(ticketId)}/attachments` : "/attachments";
  const grant = await api(path, {
    method: "POST",
    body: { filename: file.name, content_type: file.type || "application/octet-stream", size: file.size },
  });
  const form = new FormData();
  for (const [name, value] of Object.entries(grant.fields)) form.append(name, value);
  form.append("file", file);
  const response = await fetch(grant.url, { method: "POST", body: form });
  if (!response.ok) throw new Error(`${file.name}: HTTP ${response.status}`);
  return grant.upload_id;
}
