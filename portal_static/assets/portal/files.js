// Files customers attach: the limits portal.json announces, checked before upload, and the
// presigned upload itself (the bytes go straight to S3, never through the API).
import { uploadFile } from "../lib/upload.js";
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

// Upload one file to a ticket (or, without a ticket id, for the ticket about to be opened).
export const upload = (ticketId, file) => uploadFile(api, ticketId, file);
