/* Native floor of the ZeroMQ REQ/REP transports (-k tcp | ipc | inproc), linked against the
 * libzmq the suite measures (the one bundled in the pyzmq wheel, found by the Makefile).
 * The client is a REQ in this process, the peer a REP in a forked child; each end's
 * context (and so its I/O thread) is created after the end is pinned. The client sends
 * its constant message without a copy (zmq_send_const) and receives into one buffer,
 * the peer echoes the very message it received (zmq_msg_send of the zmq_msg_t).
 * inproc: the REP is a thread of this process on the same context (as in the suite),
 * pinned to the peer CPU.
 */
#include "common.h"

#include <pthread.h>
#include <sys/wait.h>
#include <zmq.h>

static void zdie(const char *what)
{
    fprintf(stderr, "native helper: zmq: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(2);
}

static void *context(int cpu)
{
    void *ctx = zmq_ctx_new();
    if (!ctx || zmq_ctx_set(ctx, ZMQ_IO_THREADS, 1) != 0)
        zdie("context");
    if (zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, cpu) != 0)
        zdie("io thread affinity");
    return ctx;
}

static void *zsocket(void *ctx, int type, int timeout_ms)
{
    void *s = zmq_socket(ctx, type);
    int zero = 0;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms) != 0 ||
        zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms) != 0)
        zdie("socket");
    return s;
}

struct inproc_peer {
    void *ctx;
    const char *endpoint;
    int cpu, timeout_ms;
    int bound; /* 1 bound, -1 failed; under lock */
    pthread_mutex_t lock;
    pthread_cond_t changed;
};

static void echo(void *rep)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (zmq_msg_recv(&msg, rep, 0) >= 0)
        if (zmq_msg_send(&msg, rep, 0) < 0)
            break;
    zmq_msg_close(&msg);
}

static void *inproc_rep(void *arg)
{
    struct inproc_peer *p = arg;
    pin(p->cpu);
    void *rep = zsocket(p->ctx, ZMQ_REP, p->timeout_ms);
    int ok = zmq_bind(rep, p->endpoint) == 0;
    pthread_mutex_lock(&p->lock);
    p->bound = ok ? 1 : -1;
    pthread_cond_signal(&p->changed);
    pthread_mutex_unlock(&p->lock);
    if (ok)
        echo(rep); /* ends when the context is terminated (ETERM) or idle past the timeout */
    zmq_close(rep);
    return NULL;
}

/* Fork the REP peer, pinned to the peer CPU; it writes its bound endpoint to a pipe. */
static pid_t fork_peer(const struct options *o, char *endpoint, size_t size, int timeout_ms)
{
    int ready[2];
    if (pipe(ready) != 0)
        die("pipe");
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        peer_guard(parent, o->timeout_s);
        pin(o->peer_cpu);
        void *ctx = context(o->peer_cpu);
        void *rep = zsocket(ctx, ZMQ_REP, timeout_ms);
        if (zmq_bind(rep, endpoint) != 0)
            zdie("bind");
        size_t len = size;
        if (zmq_getsockopt(rep, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
            zdie("last endpoint");
        if (write(ready[1], endpoint, len) != (ssize_t)len)
            _exit(4);
        close(ready[1]);
        echo(rep);
        zmq_close(rep);
        zmq_ctx_term(ctx);
        _exit(0);
    }
    close(ready[1]);
    alarm(o->timeout_s + 10);
    ssize_t got = read(ready[0], endpoint, size - 1);
    close(ready[0]);
    if (got <= 0) {
        fprintf(stderr, "native helper: zmq: the REP peer did not bind\n");
        exit(3);
    }
    endpoint[got] = 0;
    return child;
}

int main(int argc, char **argv)
{
    struct options o = parse_options(argc, argv);
    if (strcmp(o.mode, "pingpong") != 0) {
        fprintf(stderr, "native helper: zmq: REQ/REP ping-pong only\n");
        return 2;
    }
    char endpoint[512] = "tcp://127.0.0.1:*";
    char dir[] = "/tmp/commbench-zmq-XXXXXX";
    int ipc = strcmp(o.kind, "ipc") == 0, inproc = strcmp(o.kind, "inproc") == 0;
    if (inproc) {
        snprintf(endpoint, sizeof endpoint, "inproc://commbench-echo-%d", (int)getpid());
    } else if (ipc) {
        if (!mkdtemp(dir))
            die("mkdtemp");
        snprintf(endpoint, sizeof endpoint, "ipc://%s/echo.ipc", dir);
    } else if (strcmp(o.kind, "tcp") != 0) {
        fprintf(stderr, "native helper: zmq: unknown kind %s (tcp, ipc, inproc)\n", o.kind);
        return 2;
    }
    int timeout_ms = o.timeout_s * 1000;
    void *ctx = NULL;
    pthread_t thread;
    pid_t child = -1;
    if (inproc) {
        alarm(o.timeout_s + 10);
        pin(o.client_cpu); /* the context's I/O thread starts here, beside the client */
        ctx = context(o.client_cpu);
        struct inproc_peer *peer = calloc(1, sizeof *peer);
        *peer = (struct inproc_peer){ctx, endpoint, o.peer_cpu, timeout_ms, 0,
                                     PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
        if (pthread_create(&thread, NULL, inproc_rep, peer) != 0)
            die("pthread_create");
        pthread_mutex_lock(&peer->lock);
        while (peer->bound == 0)
            pthread_cond_wait(&peer->changed, &peer->lock);
        pthread_mutex_unlock(&peer->lock);
        if (peer->bound < 0) {
            fprintf(stderr, "native helper: zmq: the inproc REP did not bind\n");
            return 3;
        }
    } else {
        child = fork_peer(&o, endpoint, sizeof endpoint, timeout_ms);
        pin(o.client_cpu);
        ctx = context(o.client_cpu);
    }
    void *req = zsocket(ctx, ZMQ_REQ, timeout_ms);
    if (zmq_connect(req, endpoint) != 0)
        zdie("connect");
    unsigned char *msg = malloc(o.size), *buf = malloc(o.size);
    int64_t *rtt = malloc(sizeof *rtt * o.count);
    if (!msg || !buf || !rtt)
        die("malloc");
    fill_message(msg, o.size);
    for (long i = -o.warmup; i < o.count; i++) {
        int64_t start = now_ns();
        if (zmq_send_const(req, msg, o.size, 0) != o.size)
            zdie("send");
        int n = zmq_recv(req, buf, o.size, 0);
        int64_t t = now_ns() - start;
        if (n != o.size)
            zdie("recv");
        if (i >= 0)
            rtt[i] = t;
    }
    if (memcmp(buf, msg, o.size) != 0) {
        fprintf(stderr, "native helper: zmq: the echo returned other bytes\n");
        return 3;
    }
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("# tool c-helper\n# kind zmq-%s\n# size_bytes %ld\n# library_version %d.%d.%d\n",
           o.kind, o.size, major, minor, patch);
    print_samples(rtt, o.count);
    fflush(stdout);
    zmq_close(req);
    zmq_ctx_term(ctx); /* inproc: the REP thread's recv ends with ETERM, it closes its socket */
    if (inproc) {
        pthread_join(thread, NULL);
    } else {
        kill(child, SIGTERM);
        int status;
        waitpid(child, &status, 0);
    }
    if (ipc) {
        char path[600];
        snprintf(path, sizeof path, "%s/echo.ipc", dir);
        unlink(path);
        rmdir(dir);
    }
    return 0;
}
