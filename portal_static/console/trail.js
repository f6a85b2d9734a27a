// The audit trail in words: who (an agent by name, a rule, a policy, Tessera itself) did what.
import { agentName, t } from "./core.js";

// "agent:alice@x" -> Alice, "rule:vip" -> rule ‘vip’, "system:sla" -> Tessera (SLA).
export function actor(name) {
  const [kind, rest = ""] = String(name).split(/:(.*)/s);
  if (kind === "agent" || kind === "admin") return agentName(rest);
  if (kind === "rule") return t("actor.rule", { name: rest });
  if (kind === "customer" || kind === "requester") return rest;
  if (kind === "system") return t("actor.system", { part: rest });
  if (kind === "policy") return t("actor.policy", { name: rest });
  return name;
}
const shown = (field, value) => {
  if (value === null || value === undefined || value === "") return t("audit.none");
  if (field === "status") return t(`status.${value}`);
  if (field === "priority") return t(`priority.${value}`);
  if (field === "assignee") return agentName(value);
  if (Array.isArray(value)) return value.join(", ") || t("audit.none");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
};
// One audit event in words: "Routed to billing by rule ‘invoice’", "Status Open → Pending by Alice".
export function eventWords(event) {
  const by = actor(event.actor);
  const changes = event.changes || {};
  // SLA clocks and automations speak in their reason ("first_response started: 8:00 business
  // hours ..."): said with the target's name, not the per-field bookkeeping.
  if (event.action.startsWith("sla.") || event.action.startsWith("automation.") ||
      Object.keys(changes).some((field) => field.startsWith("sla."))) {
    const reason = String(event.reason || event.action).replace(
      /\b(first_response|next_reply|periodic_update|resolution)\b/g, (target) => t(`sla.target.${target}`));
    return t("audit.sla", { by, reason });
  }
  const lines = [];
  if (event.action === "ticket.created") lines.push(t("audit.created", { by }));
  for (const [field, [before, after]] of Object.entries(changes)) {
    if (event.action === "ticket.created") continue;
    if (field === "group") lines.push(t("audit.group", { to: shown(field, after), by }));
    else if (field === "assignee") lines.push(after ? t("audit.assigned", { to: shown(field, after), by }) : t("audit.unassigned", { by }));
    else lines.push(t("audit.changed", { field: t(`field.${field}`), from: shown(field, before), to: shown(field, after), by }));
  }
  if (!lines.length) {
    const key = `audit.${event.action}`;
    const words = t(key, { by });
    lines.push(words === key ? `${event.action} · ${by}` : words);
  }
  return lines.join("; ") + (event.reason ? ` — ${event.reason}` : "");
}

