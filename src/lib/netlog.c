// SPDX-License-Identifier: Apache-2.0
/* The decision log: one JSON line per network decision. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/jsonl.h"
#include "lib/netlog.h"

/**
 * sbx_netlog_write() - append one decision as a JSON line.
 * @log: the decision log, or NULL (nothing is written)
 * @e: the decision
 *
 * The line is whole or absent, and writing it never blocks (lib/jsonl.c).
 *
 * Context: the supervisor's event loop.
 */
void sbx_netlog_write(struct sbx_jsonl *log, const struct sbx_netlog_entry *e)
{
	char line[4096], host[600], why[SBX_POLICY_EXPLAIN_MAX * 2], rule[600], src[256], err[300];
	char explain[SBX_POLICY_EXPLAIN_MAX], rule_src[128];
	const char *checked = e->checked;
	size_t o = 0;
	int n;

	if (!log)
		return;
	sbx_json_escape(host, sizeof(host), e->host ? e->host : "");
	o = (size_t)sbx_jsonl_begin(log, line, sizeof(line));
	n = snprintf(line + o, sizeof(line) - o,
		     "\"event\":\"decision\",\"posture\":\"%s\",\"proto\":\"%s\",\"host\":\"%s\",\"port\":%u,"
		     "\"addresses\":[",
		     e->posture ? e->posture : "allowlist", e->proto, host, e->port);
	o += n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < e->n_addrs && o < sizeof(line) - 64; i++) {
		char a[SBX_POLICY_ADDR_STRLEN];

		if (sbx_policy_addr_format(&e->addrs[i], a, sizeof(a)) < 0)
			continue;
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s\"%s\"", i ? "," : "", a);
	}
	explain[0] = rule[0] = src[0] = '\0';
	if (e->d) {
		sbx_policy_explain(e->d, explain, sizeof(explain));
		if (e->d->rule) {
			sbx_json_escape(rule, sizeof(rule), sbx_policy_rule_text(e->d->rule));
			sbx_policy_rule_source(e->d->rule, rule_src, sizeof(rule_src));
			sbx_json_escape(src, sizeof(src), rule_src);
		} else {
			snprintf(src, sizeof(src), "built-in default");
		}
	} else if (e->reason) {
		snprintf(explain, sizeof(explain), "%s", e->reason);
		sbx_json_escape(rule, sizeof(rule), e->rule ? e->rule : "");
		sbx_json_escape(src, sizeof(src), e->source ? e->source : "built-in default");
	}
	sbx_json_escape(why, sizeof(why), explain);
	sbx_json_escape(err, sizeof(err), e->error ? e->error : "");
	/* What the policy judged; open posture's lines are always about an address. */
	if (!checked)
		checked = e->d ? "address" : "none";
	if (o < sizeof(line))
		o += (size_t)snprintf(line + o, sizeof(line) - o,
				      "],\"checked\":\"%s\",\"verdict\":\"%s\",\"rule\":\"%s\",\"source\":\"%s\","
				      "\"reason\":\"%s\",\"error\":\"%s\",\"bytes_up\":%llu,\"bytes_down\":%llu,"
				      "\"duration_ms\":%llu}\n",
				      checked,
				      (e->d ? e->d->verdict == SBX_VERDICT_ALLOW : e->reason && e->allow) ? "allow"
													  : "deny",
				      rule, src, why, err, (unsigned long long)e->bytes_up,
				      (unsigned long long)e->bytes_down, (unsigned long long)e->duration_ms);
	if (o < sizeof(line) - 1 && line[o - 2] == '}') {
		/* Attribution, last: "pid" and "comm" of the process inside, null when unknown. */
		char comm[64];

		o -= 2;
		if (e->pid > 0) {
			sbx_json_escape(comm, sizeof(comm), e->comm ? e->comm : "");
			o += (size_t)snprintf(line + o, sizeof(line) - o, ",\"pid\":%d,\"comm\":\"%s\"}\n", (int)e->pid,
					      comm);
		} else {
			o += (size_t)snprintf(line + o, sizeof(line) - o, ",\"pid\":null,\"comm\":null}\n");
		}
	}
	if (o >= sizeof(line)) {
		o = sizeof(line) - 1;
		line[o - 1] = '\n';
	}
	sbx_jsonl_put(log, line, o);
}

/**
 * sbx_netlog_shown_host() - a host name the payload wrote, as the log may show it.
 * @raw: the text as the client sent it (a refused spelling, an invalid name)
 * @buf: receives it with every character a host name or address text cannot
 *	hold replaced by '?'
 * @len: size of @buf
 *
 * For names that never had a normalised form: text the payload chose never
 * reaches a log (or a file a log was pointed at) as it wrote it.
 *
 * Return: @buf.
 */
const char *sbx_netlog_shown_host(const char *raw, char *buf, size_t len)
{
	size_t i;

	if (!len)
		return "";
	for (i = 0; raw && raw[i] && i + 1 < len; i++) {
		char ch = raw[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  ch == '.' || ch == ':' || ch == '-' || ch == '[' || ch == ']' || ch == '_';

		buf[i] = ok ? ch : '?';
	}
	buf[i] = '\0';
	return buf;
}
