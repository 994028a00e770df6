/* Native floor of the raw-socket transports: TCP (loopback, TCP_NODELAY), Unix domain
 * stream sockets, UDP. A raw ping-pong of -s bytes, no framing: the least a Python loop
 * on the same socket could cost. -k tcp|uds|udp; -m stream (tcp, uds): -n messages sent
 * back to back, the peer answers with the byte count once all arrived.
 */
#include "common.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void set_timeout(int fd, int seconds, long usec)
{
    struct timeval tv = {seconds, usec};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
        die("setsockopt timeout");
}

static int recv_all(int fd, unsigned char *buf, long n)
{
    long got = 0;
    while (got < n) {
        ssize_t k = recv(fd, buf + got, n - got, 0);
        if (k <= 0)
            return -1;
        got += k;
    }
    return 0;
}

static int send_all(int fd, const unsigned char *buf, long n)
{
    long sent = 0;
    while (sent < n) {
        ssize_t k = send(fd, buf + sent, n - sent, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        sent += k;
    }
    return 0;
}

static struct sockaddr_in loopback(int fd)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0) {
        socklen_t len = sizeof a;
        if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
            die("getsockname");
    }
    return a;
}

static int udp_bound(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback(-1);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("udp socket");
    return fd;
}

static void nodelay(int fd)
{
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        die("TCP_NODELAY");
}

/* ---------------------------------------------------------------- the peer */

static void serve_stream(int fd, const struct options *o, unsigned char *buf)
{
    if (strcmp(o->mode, "stream") == 0) {
        long long total = 0, want = (long long)o->count * o->size;
        while (total < want) {
            long chunk = want - total < 65536 ? (long)(want - total) : 65536;
            ssize_t k = recv(fd, buf, chunk, 0);
            if (k <= 0)
                _exit(4);
            total += k;
        }
        send_all(fd, (unsigned char *)&total, sizeof total);
        return;
    }
    for (;;) {
        if (recv_all(fd, buf, o->size) != 0)
            return; /* the client closed */
        if (send_all(fd, buf, o->size) != 0)
            return;
    }
}

static void serve_udp(int fd, const struct options *o, unsigned char *buf)
{
    for (;;) {
        ssize_t k = recv(fd, buf, o->size, 0);
        if (k <= 0)
            return; /* idle past the timeout: the run is over */
        send(fd, buf, k, 0);
    }
}

/* ---------------------------------------------------------------- the client */

static int64_t stream_round_trip(int fd, const unsigned char *msg, unsigned char *buf, long size)
{
    int64_t start = now_ns();
    if (send_all(fd, msg, size) != 0 || recv_all(fd, buf, size) != 0)
        die("round trip");
    return now_ns() - start;
}

static long udp_lost;

static int64_t udp_round_trip(int fd, unsigned char *msg, unsigned char *buf, long size, uint32_t seq)
{
    if (size >= 4)
        memcpy(msg, &seq, 4);
    int64_t start = now_ns();
    if (send(fd, msg, size, 0) != size)
        die("udp send");
    for (;;) {
        ssize_t k = recv(fd, buf, size, 0);
        if (k < 0) {
            udp_lost++;
            return -1;
        }
        if (size < 4 || memcmp(buf, &seq, 4) == 0)
            return now_ns() - start;
    }
}

int main(int argc, char **argv)
{
    struct options o = parse_options(argc, argv);
    int stream = strcmp(o.mode, "stream") == 0;
    int udp = strcmp(o.kind, "udp") == 0;
    if (udp && (stream || o.size > 65507)) {
        fprintf(stderr, "native helper: udp: ping-pong of at most 65507 B only\n");
        return 2;
    }
    int client = -1, peer = -1, listener = -1;
    if (strcmp(o.kind, "tcp") == 0) {
        struct sockaddr_in a = loopback(-1);
        listener = socket(AF_INET, SOCK_STREAM, 0);
        if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof a) != 0 ||
            listen(listener, 1) != 0)
            die("tcp listen");
    } else if (strcmp(o.kind, "uds") == 0) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
            die("socketpair");
        client = pair[0], peer = pair[1];
    } else if (udp) {
        client = udp_bound(), peer = udp_bound();
        struct sockaddr_in ca = loopback(client), pa = loopback(peer);
        if (connect(client, (struct sockaddr *)&pa, sizeof pa) != 0 ||
            connect(peer, (struct sockaddr *)&ca, sizeof ca) != 0)
            die("udp connect");
    } else {
        fprintf(stderr, "native helper: unknown kind %s (tcp, uds, udp)\n", o.kind);
        return 2;
    }
    unsigned char *msg = malloc(o.size), *buf = malloc(o.size > 65536 ? o.size : 65536);
    if (!msg || !buf)
        die("malloc");
    fill_message(msg, o.size);

    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        peer_guard(parent, o.timeout_s);
        pin(o.peer_cpu);
        if (listener >= 0) {
            peer = accept(listener, NULL, NULL);
            if (peer < 0)
                _exit(4);
            nodelay(peer);
        }
        if (client >= 0)
            close(client);
        set_timeout(peer, udp ? 1 : o.timeout_s, 0);
        if (udp)
            serve_udp(peer, &o, buf);
        else
            serve_stream(peer, &o, buf);
        _exit(0);
    }
    alarm(o.timeout_s + 10);
    pin(o.client_cpu);
    if (listener >= 0) {
        struct sockaddr_in a = loopback(listener);
        client = socket(AF_INET, SOCK_STREAM, 0);
        if (client < 0 || connect(client, (struct sockaddr *)&a, sizeof a) != 0)
            die("tcp connect");
        nodelay(client);
        close(listener);
    }
    if (peer >= 0)
        close(peer);
    if (udp)
        set_timeout(client, 0, 200000); /* a datagram not back in 200 ms is lost */
    else
        set_timeout(client, o.timeout_s, 0);

    printf("# tool c-helper\n# kind %s\n# size_bytes %ld\n", o.kind, o.size);
    if (stream) {
        int64_t start = now_ns();
        for (long i = 0; i < o.count; i++)
            if (send_all(client, msg, o.size) != 0)
                die("stream send");
        long long total = 0;
        if (recv_all(client, (unsigned char *)&total, sizeof total) != 0)
            die("stream report");
        print_stream(now_ns() - start, o.count, total);
    } else {
        int64_t *rtt = malloc(sizeof *rtt * o.count);
        long n = 0;
        uint32_t seq = 0;
        for (long i = -o.warmup; i < o.count; i++) {
            int64_t t = udp ? udp_round_trip(client, msg, buf, o.size, ++seq)
                            : stream_round_trip(client, msg, buf, o.size);
            if (i >= 0 && t >= 0)
                rtt[n++] = t;
        }
        if (memcmp(buf, msg, o.size) != 0) {
            fprintf(stderr, "native helper: the echo returned other bytes\n");
            return 3;
        }
        printf("# lost %ld\n", udp_lost);
        print_samples(rtt, n);
    }
    fflush(stdout);
    close(client);
    int status;
    if (udp)
        kill(child, SIGTERM);
    waitpid(child, &status, 0);
    return 0;
}
