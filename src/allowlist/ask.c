// SPDX-License-Identifier: Apache-2.0
/* --ask-fd: a destination no rule decides is put to the orchestrator, and waits for its answer alone. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "gateway.h"
#include "lib/linein.h"
#include "lib/list.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * Only a destination the policy leaves undecided is asked about
 * (sbx_policy_askable(): allowlist posture, no rule allows it); deny rules,
 * special-purpose and metadata addresses, the host's own addresses and a
 * narrowed posture are floors and never reach the orchestrator. A name is
 * asked about before it is resolved, so a question never leaks a lookup.
 *
 * sbx writes one "question" line (sbx-json(7)) and the request that asked
 * waits, alone: the proxy and the DNS stub keep serving everything else.
 * Requests for the same destination at the same time share one question.
 * The orchestrator answers with one line:
 *
 *   ID allow|deny [once]     this request (and those sharing the question)
 *   ID allow|deny always     and a rule for exactly the destination asked
 *                            (host:port, or the name alone for a DNS
 *                            question), for the rest of the run
 *   ID allow|deny rule RULE  and RULE, as --allow/--deny would take it
 *
 * A rule is added like a --control-fd change: logged, and every waiting
 * request it now decides goes on at once. No answer within --ask-timeout,
 * an answer sbx cannot apply (reported on an "ask-error" line, and the
 * question keeps waiting), too many questions at once, or the end of the
 * answers' stream is a deny; after that end nothing more is asked.
 */

#define SBX_ASK_MAX_QUESTIONS 256

struct question {
	struct sbx_list link;	 /* in sbx_ask.questions */
	struct sbx_list waiters; /* struct sbx_ask_wait */
	unsigned id;
	uint64_t deadline_ms;
	struct sbx_dest dest; /* port 0 and a name: a DNS question */
};

struct sbx_ask {
	const struct sbx_gw_ctx *ctx;
	struct sbx_linein in;
	struct sbx_jsonl *out;
	struct sbx_watch timer_w;
	struct sbx_list questions;
	unsigned n_questions;
	unsigned last_id;
	uint64_t timeout_ms;
	bool closed; /* the answers' stream ended: nothing more is asked */
};

static void ask_error(struct sbx_ask *a, unsigned lineno, const char *msg)
{
	char m[1024];

	sbx_json_escape(m, sizeof(m), msg);
	sbx_jsonl_printf(a->out, "\"event\":\"ask-error\",\"line\":%u,\"message\":\"%s\"}", lineno, m);
}

/* Arm the timer for the earliest deadline (questions are kept in deadline order). */
static void arm(struct sbx_ask *a)
{
	struct question *q = sbx_list_first(&a->questions, struct question, link);
	struct itimerspec its = {0};

	if (a->timer_w.fd < 0)
		return;
	if (q) {
		uint64_t now = sbx_loop_now_ms(), in = q->deadline_ms > now ? q->deadline_ms - now : 1;

		its.it_value.tv_sec = (time_t)(in / 1000);
		its.it_value.tv_nsec = (long)(in % 1000) * 1000000;
	}
	timerfd_settime(a->timer_w.fd, 0, &its, NULL);
}

/* Every waiter of @q gets @res; @q is gone afterwards. */
static void settle(struct sbx_ask *a, struct question *q, enum sbx_ask_result res, const char *why)
{
	struct sbx_list waiters;
	struct sbx_ask_wait *w;

	sbx_list_del(&q->link);
	a->n_questions--;
	/* Callbacks may cancel other waiters, or ask again: work from a list of our own. */
	sbx_list_init(&waiters);
	if (!sbx_list_empty(&q->waiters)) {
		waiters.next = q->waiters.next;
		waiters.prev = q->waiters.prev;
		waiters.next->prev = &waiters;
		waiters.prev->next = &waiters;
	}
	sbx_list_init(&q->waiters);
	free(q);
	/* None waits on @q any more: a callback that cancels another waiter only unlinks it from @waiters. */
	for (struct sbx_list *pos = waiters.next; pos != &waiters; pos = pos->next)
		sbx_list_entry(pos, struct sbx_ask_wait, link)->q = NULL;
	while ((w = sbx_list_first(&waiters, struct sbx_ask_wait, link))) {
		sbx_list_del(&w->link);
		w->done(w, res, why);
	}
	arm(a);
}

static void on_timer(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_ask *a = sbx_container_of(w, struct sbx_ask, timer_w);
	uint64_t ticks, now = sbx_loop_now_ms();
	struct question *q;

	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	while ((q = sbx_list_first(&a->questions, struct question, link)) && q->deadline_ms <= now)
		settle(a, q, SBX_ASK_UNANSWERED, "the orchestrator did not answer in time (--ask-timeout)");
	arm(a);
}

static struct question *find(struct sbx_ask *a, unsigned id)
{
	struct sbx_list *pos, *tmp;

	sbx_list_for_each_safe(pos, tmp, &a->questions)
	{
		struct question *q = sbx_list_entry(pos, struct question, link);

		if (q->id == id)
			return q;
	}
	return NULL;
}

static void on_line(struct sbx_linein *in, unsigned lineno, char *line, bool bad)
{
	struct sbx_ask *a = sbx_container_of(in, struct sbx_ask, in);
	char err[768], rule[SBX_POLICY_HOST_MAX + 16];
	struct sbx_ask_answer ans;
	struct question *qu;
	int r;

	if (bad) {
		snprintf(err, sizeof(err), "answer longer than %d bytes, or with a NUL byte: ignored", SBX_LINEIN_MAX);
		ask_error(a, lineno, err);
		return;
	}
	r = sbx_ask_parse_answer(line, &ans);
	if (r > 0)
		return; /* a blank line or a comment */
	if (r < 0) {
		ask_error(a, lineno, "not an answer: ASK allow|deny [once|always|rule RULE]");
		return;
	}
	qu = find(a, ans.ask);
	if (!qu) {
		snprintf(err, sizeof(err), "no question %u is waiting (answered, timed out or never asked)",
			 (unsigned)ans.ask);
		ask_error(a, lineno, err);
		return;
	}
	if (ans.scope == SBX_ANSWER_ONCE) {
		settle(a, qu, ans.deny ? SBX_ASK_DENY : SBX_ASK_ALLOW, NULL);
		return;
	}
	if (ans.scope == SBX_ANSWER_ALWAYS) {
		/* Exactly what was asked: host:port, an address and its port, or a DNS question's name. */
		sbx_policy_dest_format(&qu->dest, rule, sizeof(rule));
		ans.rule = rule;
	}
	{
		struct sbx_rule_origin o = {.kind = SBX_ORIGIN_ASK, .line = qu->id};
		unsigned qid = qu->id;
		uint32_t rid;

		/* The proxy and the DNS stub hear of the new version first: what it decides goes on now. */
		if (sbx_livepolicy_add_rule(a->ctx->live, ans.deny, ans.rule, &o, &rid, err, sizeof(err)) < 0) {
			ask_error(a, lineno, err);
			return;
		}
		qu = find(a, qid); /* gone when the new rule decided every waiter */
		if (qu)
			settle(a, qu, SBX_ASK_RULE, NULL);
	}
}

static void on_end(struct sbx_linein *in, int err)
{
	struct sbx_ask *a = sbx_container_of(in, struct sbx_ask, in);
	struct question *q;

	a->closed = true;
	while ((q = sbx_list_first(&a->questions, struct question, link)))
		settle(a, q, SBX_ASK_UNANSWERED, "the orchestrator's answers ended (--ask-fd closed)");
}

/**
 * sbx_ask_new() - serve --ask-fd.
 * @ctx: the gateway's context (loop, policy, log)
 * @in_fd: answers (not owned)
 * @out_fd: questions (not owned; written without ever blocking)
 * @id: the sandbox id for the question lines
 * @timeout_ms: --ask-timeout
 * @out: the channel
 *
 * Return: 0 or a negative errno (-EBADF: @in_fd is not readable).
 */
int sbx_ask_new(const struct sbx_gw_ctx *ctx, int in_fd, int out_fd, const char *id, uint64_t timeout_ms,
		struct sbx_ask **out)
{
	struct sbx_ask *a = calloc(1, sizeof(*a));
	int r;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->ctx = ctx;
	a->timeout_ms = timeout_ms;
	a->in.w.fd = -1;
	sbx_list_init(&a->questions);
	a->timer_w =
		(struct sbx_watch){.cb = on_timer, .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)};
	if (a->timer_w.fd < 0) {
		r = -errno;
		goto fail;
	}
	r = sbx_loop_watch(ctx->loop, &a->timer_w, EPOLLIN);
	if (r == 0)
		r = sbx_jsonl_new(ctx->loop, out_fd, id, &a->out);
	if (r == 0)
		sbx_jsonl_hello(a->out, "questions", "allowlist");
	if (r == 0)
		r = sbx_linein_start(&a->in, ctx->loop, in_fd, on_line, on_end);
	if (r < 0)
		goto fail;
	*out = a;
	return 0;
fail:
	sbx_ask_free(a);
	return r;
}

/**
 * sbx_ask_submit() - put a destination to the orchestrator; @w->done is called once with the answer.
 * @a: the channel, or NULL (no --ask-fd)
 * @kind: "connect" (the proxy) or "dns" (the DNS stub)
 * @proto: the proxy's protocol ("connect", "http", "socks5") or "dns"
 * @dest: the destination (a DNS question: a name with port 0)
 * @who: the process that asked
 * @w: the waiter; its @done must be set
 *
 * Return: true when @w waits (done() comes later, from the loop), false
 * when nothing can be asked (no channel, it closed, too many questions):
 * the caller denies at once.
 */
bool sbx_ask_submit(struct sbx_ask *a, const char *kind, const char *proto, const struct sbx_dest *dest,
		    const struct sbx_procinfo *who, struct sbx_ask_wait *w)
{
	struct sbx_list *pos, *tmp;
	struct question *q = NULL;
	char host[SBX_POLICY_HOST_MAX * 2], comm[80] = "null", pid[16] = "null";

	w->q = NULL;
	sbx_list_init(&w->link);
	if (!a || a->closed)
		return false;
	sbx_list_for_each_safe(pos, tmp, &a->questions)
	{
		struct question *o = sbx_list_entry(pos, struct question, link);

		if (o->dest.is_addr == dest->is_addr && o->dest.port == dest->port &&
		    (dest->is_addr ? memcmp(&o->dest.addr, &dest->addr, sizeof(dest->addr)) == 0
				   : strcmp(o->dest.host, dest->host) == 0)) {
			q = o;
			break;
		}
	}
	if (!q) {
		if (a->n_questions >= SBX_ASK_MAX_QUESTIONS)
			return false;
		q = calloc(1, sizeof(*q));
		if (!q)
			return false;
		sbx_list_init(&q->waiters);
		q->id = ++a->last_id;
		q->dest = *dest;
		q->deadline_ms = sbx_loop_now_ms() + a->timeout_ms;
		sbx_list_add_tail(&a->questions, &q->link); /* one timeout for all: deadline order */
		a->n_questions++;
		if (dest->is_addr)
			sbx_policy_addr_format(&dest->addr, host, sizeof(host));
		else
			sbx_json_escape(host, sizeof(host), dest->host);
		if (who && who->ns_pid > 0) {
			char c[40];

			snprintf(pid, sizeof(pid), "%d", (int)who->ns_pid);
			sbx_json_escape(c, sizeof(c), who->comm);
			snprintf(comm, sizeof(comm), "\"%s\"", c);
		}
		sbx_jsonl_printf(a->out,
				 "\"event\":\"question\",\"ask\":%u,\"kind\":\"%s\",\"proto\":\"%s\",\"host\":\"%s\",\"port\":%u,"
				 "\"names\":[%s%s%s],\"addresses\":[%s%s%s],\"pid\":%s,\"comm\":%s,\"timeout_ms\":%llu}",
				 q->id, kind, proto, host, dest->port, dest->is_addr ? "" : "\"",
				 dest->is_addr ? "" : host, dest->is_addr ? "" : "\"", dest->is_addr ? "\"" : "",
				 dest->is_addr ? host : "", dest->is_addr ? "\"" : "", pid, comm,
				 (unsigned long long)a->timeout_ms);
		if (a->n_questions == 1)
			arm(a);
	}
	sbx_list_add_tail(&q->waiters, &w->link);
	w->q = q;
	return true;
}

/**
 * sbx_ask_cancel() - stop waiting (the request ended, or a rule decided it); done() is not called.
 * @a: the channel
 * @w: the waiter (a second call, or one that never waited, zero-filled, is harmless)
 */
void sbx_ask_cancel(struct sbx_ask *a, struct sbx_ask_wait *w)
{
	struct question *q = w->q;

	if (w->link.next)
		sbx_list_del(&w->link); /* also off a list settle() is working through */
	if (!q)
		return;
	w->q = NULL;
	if (sbx_list_empty(&q->waiters)) {
		/* Nobody waits for the answer any more: a late one is told so. */
		sbx_list_del(&q->link);
		a->n_questions--;
		free(q);
		arm(a);
	}
}

/**
 * sbx_ask_free() - stop asking (every waiter must have been cancelled).
 * @a: the channel, or NULL
 */
void sbx_ask_free(struct sbx_ask *a)
{
	struct question *q;

	if (!a)
		return;
	sbx_linein_stop(&a->in);
	while ((q = sbx_list_first(&a->questions, struct question, link))) {
		sbx_list_del(&q->link);
		free(q);
	}
	if (a->timer_w.fd >= 0) {
		sbx_loop_unwatch(a->ctx->loop, &a->timer_w);
		close(a->timer_w.fd);
	}
	if (a->out)
		sbx_jsonl_free(a->out, SBX_JSONL_DRAIN_MS);
	free(a);
}
