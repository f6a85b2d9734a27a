// A presigned upload, shared by the portal and the console: ask the API for a grant (for a
// ticket, or without one for the ticket about to be opened), POST the grant's fields and the
// file straight to S3 (the bytes never pass through the API), and return the upload id that a
// reply or the new ticket names.
export async function uploadFile(api, ticketId, file) {
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
