// A line diff of two texts for a person to review: the longest common subsequence of lines
// (documents are a few hundred lines; the table is rows x columns small integers), then runs of
// changes with a little unchanged context around them.
export function diffLines(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  const n = a.length;
  const m = b.length;
  const width = m + 1;
  const common = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      common[i * width + j] = a[i] === b[j]
        ? common[(i + 1) * width + j + 1] + 1
        : Math.max(common[(i + 1) * width + j], common[i * width + j + 1]);
    }
  }
  const lines = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { lines.push({ op: " ", text: a[i], old: i + 1, new: j + 1 }); i += 1; j += 1; }
    else if (j < m && (i === n || common[i * width + j + 1] >= common[(i + 1) * width + j])) { lines.push({ op: "+", text: b[j], new: j + 1 }); j += 1; }
    else { lines.push({ op: "-", text: a[i], old: i + 1 }); i += 1; }
  }
  return lines;
}

// Only the changed lines and `context` unchanged lines either side; gaps marked { op: "…" }.
export function hunks(lines, context = 2) {
  const keep = lines.map(() => false);
  lines.forEach((line, k) => {
    if (line.op === " ") return;
    for (let d = -context; d <= context; d += 1) if (lines[k + d]) keep[k + d] = true;
  });
  const shown = [];
  lines.forEach((line, k) => {
    if (keep[k]) shown.push(line);
    else if (shown.length && shown[shown.length - 1].op !== "…") shown.push({ op: "…", text: "" });
  });
  if (shown.length && shown[shown.length - 1].op === "…") shown.pop();
  return shown;
}
