/*
 * synack http-server: enough HTTP/1.1 (RFC 9112) for curl and wrk. GET and
 * HEAD; every response has Content-Length; connections persist unless the
 * request says "Connection: close" or is HTTP/1.0 without keep-alive;
 * pipelined requests are answered in order. Serves the files under --root
 * (no "..", directories give index.html) or a generated body of --size
 * bytes ("synack\n" repeated) for any path.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "servers.h"
#include "srv.h"

#define HTTP_MAX_HEAD 8192

struct http_app;

struct http_conn {
	struct http_app *app;
	struct http_conn *prev, *next;
	int fd;
	struct sockaddr_in peer;
	uint64_t in, out, start;
	char req[HTTP_MAX_HEAD];
	size_t req_len;
	int eof;                    /* 1: peer closed its side; 2: failed */
	int busy;                   /* a response is being sent */
	int keep;                   /* keep the connection after it */
	char head[512];             /* the response header */
	size_t head_len, head_off;
	int file;                   /* body from this file, or -1: generated */
	uint64_t body_off, body_len;
	char chunk[SRV_CHUNK];
	size_t chunk_off, chunk_len;
};

struct http_app {
	struct net_opts o;
	const char *root;
	uint64_t size;
	struct http_conn *conns;
	struct net_run *run;
};

static void http_close(struct net_run *r, struct http_conn *c)
{
	synack_loop_unwatch(r->loop, c->fd);
	synack_close(r->st, c->fd);
	if (c->file >= 0)
		close(c->file);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->app->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (r->o->verbose)
		srv_report(r, &c->peer, c->in, c->out, c->start);
	free(c);
}

static void respond(struct http_conn *c, int code, const char *reason, uint64_t len, int head_only)
{
	c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
				       "HTTP/1.1 %d %s\r\nServer: synack\r\nContent-Length: %llu\r\n"
				       "Content-Type: %s\r\nConnection: %s\r\n\r\n",
				       code, reason, (unsigned long long)len,
				       code == 200 ? "application/octet-stream" : "text/plain",
				       c->keep ? "keep-alive" : "close");
	c->head_off = 0;
	c->body_off = 0;
	c->body_len = head_only ? 0 : len;
	c->chunk_off = c->chunk_len = 0;
	c->busy = 1;
}

static void respond_error(struct http_conn *c, int code, const char *reason)
{
	/* The body is the reason line; errors close the connection. */
	c->keep = 0;
	if (c->file >= 0)
		close(c->file);
	c->file = -1;
	respond(c, code, reason, strlen(reason) + 1, 0);
	snprintf(c->chunk, sizeof(c->chunk), "%s\n", reason);
	c->chunk_len = strlen(reason) + 1;
}

/* A ".." segment would climb out of --root. */
static int has_dotdot(const char *path)
{
	for (const char *p = strstr(path, "/.."); p; p = strstr(p + 1, "/.."))
		if (p[3] == '/' || p[3] == '\0')
			return 1;
	return 0;
}

/* The file for a request path under --root, or -1 with the status to send. */
static int open_path(const struct http_app *a, const char *path, uint64_t *len, int *status)
{
	if (path[0] != '/' || has_dotdot(path)) {
		*status = 403;
		return -1;
	}
	char full[4096];
	int n = snprintf(full, sizeof(full), "%s%s", a->root, path);
	if (n < 0 || (size_t)n >= sizeof(full) - 12) {
		*status = 404;
		return -1;
	}
	struct stat sb;
	if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode))
		strcat(full, "/index.html");
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		*status = errno == EACCES ? 403 : 404;
		return -1;
	}
	*len = (uint64_t)sb.st_size;
	return fd;
}

static int header_has(const char *hdrs, const char *name, const char *token)
{
	size_t nl = strlen(name);
	for (const char *p = hdrs; p && *p; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL) {
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");
			size_t vl = e ? (size_t)(e - v) : strlen(v);
			for (size_t i = 0; i + strlen(token) <= vl; i++)
				if (!strncasecmp(v + i, token, strlen(token)))
					return 1;
		}
	}
	return 0;
}

/* One complete request head (NUL-terminated, without the blank line). */
static void handle_request(struct http_conn *c, char *req)
{
	char method[16], path[2048], version[16];
	c->keep = 1;
	if (sscanf(req, "%15s %2047s %15s", method, path, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		respond_error(c, 400, "Bad Request");
		return;
	}
	char *hdrs = strstr(req, "\r\n");
	hdrs = hdrs ? hdrs + 2 : req + strlen(req);
	if (!strcmp(version, "HTTP/1.0"))
		c->keep = header_has(hdrs, "Connection", "keep-alive");
	else if (header_has(hdrs, "Connection", "close"))
		c->keep = 0;
	int head_only = !strcmp(method, "HEAD");
	if (!head_only && strcmp(method, "GET")) {
		respond_error(c, 501, "Not Implemented");
		return;
	}
	char *q = strchr(path, '?');
	if (q)
		*q = '\0';
	if (!c->app->root) {
		c->file = -1;
		respond(c, 200, "OK", c->app->size, head_only);
		return;
	}
	uint64_t len = 0;
	int status = 404;
	c->file = open_path(c->app, path, &len, &status);
	if (c->file < 0)
		respond_error(c, status, status == 403 ? "Forbidden" : "Not Found");
	else
		respond(c, 200, "OK", len, head_only);
}

/* Start the next request if a whole head is buffered. */
static void next_request(struct http_conn *c)
{
	if (c->busy || c->req_len == 0)
		return;
	c->req[c->req_len < sizeof(c->req) ? c->req_len : sizeof(c->req) - 1] = '\0';
	char *end = strstr(c->req, "\r\n\r\n");
	if (!end) {
		if (c->req_len >= sizeof(c->req) - 1)
			respond_error(c, 431, "Request Header Fields Too Large");
		return;
	}
	*end = '\0';
	size_t used = (size_t)(end + 4 - c->req);
	handle_request(c, c->req);
	memmove(c->req, c->req + used, c->req_len - used);
	c->req_len -= used;
}

/* Send what the window takes; -1 on a hard error. */
static int send_response(struct net_run *r, struct http_conn *c)
{
	for (int i = 0; i < 32 && c->busy; i++) {
		const char *p;
		size_t n;
		if (c->head_off < c->head_len) {
			p = c->head + c->head_off;
			n = c->head_len - c->head_off;
		} else if (c->body_off < c->body_len) {
			if (c->chunk_off == c->chunk_len) {
				uint64_t left = c->body_len - c->body_off;
				size_t want = left < SRV_CHUNK ? (size_t)left : SRV_CHUNK;
				if (c->file >= 0) {
					ssize_t got = pread(c->file, c->chunk, want, (off_t)c->body_off);
					if (got <= 0)
						return -1; /* the file shrank: cut the connection */
					want = (size_t)got;
				} else {
					srv_pattern_fill(c->chunk, want, c->body_off);
				}
				c->chunk_off = 0;
				c->chunk_len = want;
			}
			p = c->chunk + c->chunk_off;
			n = c->chunk_len - c->chunk_off;
		} else {
			c->busy = 0; /* response complete */
			if (c->file >= 0)
				close(c->file);
			c->file = -1;
			if (!c->keep)
				return 1;
			next_request(c);
			continue;
		}
		ssize_t w = synack_send(r->st, c->fd, p, n, 0);
		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		c->out += (uint64_t)w;
		if (c->head_off < c->head_len) {
			c->head_off += (size_t)w;
		} else {
			c->chunk_off += (size_t)w;
			c->body_off += (uint64_t)w;
		}
	}
	return 0;
}

static void on_http_event(struct synack_loop *l, int fd, uint32_t events, void *arg)
{
	struct http_conn *c = arg;
	struct net_run *r = c->app->run;
	if (events & EPOLLERR)
		c->eof = 2;
	while (c->eof != 2 && !c->eof && c->req_len < sizeof(c->req) - 1) {
		ssize_t n = synack_recv(r->st, c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len, 0);
		if (n == 0)
			c->eof = 1;
		else if (n < 0 && errno != EAGAIN)
			c->eof = 2;
		if (n <= 0)
			break;
		c->in += (uint64_t)n;
		c->req_len += (size_t)n;
	}
	int done = 0;
	if (c->eof != 2) {
		next_request(c);
		done = send_response(r, c);
	}
	/* Close: failed; response said close and is out; peer gone and idle. */
	if (c->eof == 2 || done != 0 || (c->eof && !c->busy)) {
		http_close(r, c);
		return;
	}
	uint32_t ev = c->busy ? EPOLLOUT : 0;
	if (!c->eof && c->req_len < sizeof(c->req) - 1)
		ev |= EPOLLIN;
	synack_loop_watch(l, fd, ev, on_http_event, c);
}

static void http_new_conn(struct net_run *r, int fd, const struct sockaddr_in *peer, void *arg)
{
	struct http_app *a = arg;
	struct http_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		synack_close(r->st, fd);
		return;
	}
	/* The header and a short body go out as separate sends: without
	 * TCP_NODELAY, Nagle would hold the body for the ACK of the header,
	 * which the client delays (40 ms per request). Servers set it too. */
	static const int one = 1;
	synack_setsockopt(r->st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	a->run = r;
	c->app = a;
	c->fd = fd;
	c->file = -1;
	c->peer = *peer;
	c->start = synack_loop_clock();
	c->next = a->conns;
	if (a->conns)
		a->conns->prev = c;
	a->conns = c;
	synack_loop_watch(r->loop, fd, EPOLLIN, on_http_event, c);
}

static const char http_usage[] =
	"usage: synack http-server [--port N] [--root DIR | --size BYTES] [OPTIONS]\n"
	"\n"
	"An HTTP/1.1 server (GET, HEAD, keep-alive, Content-Length) over a TUN device.\n"
	"Try: synack http-server --netns web --addr 10.211.0.2/24 --port 8080 --root .\n"
	"     ip netns exec web curl http://10.211.0.2:8080/README.md\n"
	"\n"
	"  --port N            the port to listen on (80)\n"
	"  --root DIR          serve the files under DIR (a directory: its index.html)\n"
	"  --size BYTES        serve a body of BYTES (K, M, G suffixes) of \"synack\\n\"\n"
	"                      repeated for any path (the default, 1K)\n";

int http_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		NET_LONGOPTS,
		{"port", required_argument, NULL, NET_OPT_PORT},
		{"root", required_argument, NULL, 'r'},
		{"size", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *sub = "http-server";
	struct http_app a = {.size = 1024};
	int size_set = 0;
	net_opts_init(&a.o, sub, 80);
	int c;
	while ((c = cli_getopt(sub, argc, argv, "hv", longopts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == 'h') {
			printf("%s%s", http_usage, NET_HELP);
			return CLI_OK;
		}
		if (c == 'r') {
			struct stat sb;
			if (stat(optarg, &sb) < 0 || !S_ISDIR(sb.st_mode))
				return cli_usage_error(sub, "--root wants a directory, got '%s'", optarg);
			a.root = optarg;
		} else if (c == 's') {
			if (!cli_parse_bytes(optarg, &a.size))
				return cli_usage_error(sub, "--size wants a byte count (1048576, 1M), got '%s'",
						       optarg);
			size_set = 1;
		} else {
			int rc = net_opt(&a.o, c, optarg);
			if (rc)
				return rc == 1 ? cli_usage_error(sub, "unexpected option") : rc;
		}
	}
	if (a.root && size_set)
		return cli_usage_error(sub, "give --root or --size, not both");
	if (cli_no_operands(sub, argc, argv) || net_opts_check(&a.o))
		return CLI_USAGE;
	int rc = srv_main(&a.o, http_new_conn, &a);
	while (a.conns) {
		struct http_conn *n = a.conns->next;
		if (a.conns->file >= 0)
			close(a.conns->file);
		free(a.conns);
		a.conns = n;
	}
	return rc;
}
