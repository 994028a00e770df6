/* Shared by the native floor helpers: options, CPU pinning, the clock, the output.
 *
 * Every helper runs N timed round trips of S bytes between a client (this process,
 * pinned to -c CPU) and a peer (a forked child or MPI rank 1, pinned to -p CPU), after
 * W untimed warm-up round trips, and prints on stdout:
 *
 *   # key value            metadata lines (tool, library version, ...)
 *   rtt_ns <n>             then n lines, one round-trip time in ns each
 *
 * or, in stream mode (-m stream): "stream_ns <elapsed> <messages> <bytes>".
 * Every wait is bounded: alarm(-t seconds) ends a process that hangs, and a forked
 * peer dies with its parent (PR_SET_PDEATHSIG).
 */
#ifndef COMMBENCH_NATIVE_COMMON_H
#define COMMBENCH_NATIVE_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

struct options {
    const char *kind;   /* -k: tcp, uds, udp, ipc ... (helper-specific) */
    const char *mode;   /* -m: pingpong (default) or stream */
    int client_cpu;     /* -c */
    int peer_cpu;       /* -p */
    long size;          /* -s bytes per message */
    long count;         /* -n timed round trips (or streamed messages) */
    long warmup;        /* -w untimed round trips */
    int timeout_s;      /* -t whole-run limit */
};

static inline void die(const char *what)
{
    fprintf(stderr, "native helper: %s: %s\n", what, errno ? strerror(errno) : "failed");
    exit(2);
}

static inline void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-k KIND] [-m pingpong|stream] -c CLIENT_CPU -p PEER_CPU -s BYTES "
            "-n COUNT [-w WARMUP] [-t SECONDS]\n",
            prog);
    exit(2);
}

static inline struct options parse_options(int argc, char **argv)
{
    struct options o = {"tcp", "pingpong", 0, 0, 64, 1000, 100, 30};
    int ch;
    while ((ch = getopt(argc, argv, "k:m:c:p:s:n:w:t:")) != -1) {
        switch (ch) {
        case 'k': o.kind = optarg; break;
        case 'm': o.mode = optarg; break;
        case 'c': o.client_cpu = atoi(optarg); break;
        case 'p': o.peer_cpu = atoi(optarg); break;
        case 's': o.size = atol(optarg); break;
        case 'n': o.count = atol(optarg); break;
        case 'w': o.warmup = atol(optarg); break;
        case 't': o.timeout_s = atoi(optarg); break;
        default: usage(argv[0]);
        }
    }
    if (o.size < 1 || o.count < 1 || o.warmup < 0 || o.timeout_s < 1)
        usage(argv[0]);
    if (strcmp(o.mode, "pingpong") != 0 && strcmp(o.mode, "stream") != 0)
        usage(argv[0]);
    return o;
}

static inline void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        die("sched_setaffinity");
}

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* In a forked peer: die with the parent, give up after the run's time limit. */
static inline void peer_guard(pid_t parent, int timeout_s)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(3);
    alarm(timeout_s + 5);
}

static inline void print_samples(const int64_t *rtt_ns, long n)
{
    printf("rtt_ns %ld\n", n);
    for (long i = 0; i < n; i++)
        printf("%lld\n", (long long)rtt_ns[i]);
}

static inline void print_stream(int64_t elapsed_ns, long messages, long long bytes)
{
    printf("stream_ns %lld %ld %lld\n", (long long)elapsed_ns, messages, bytes);
}

static inline void fill_message(unsigned char *buf, long size)
{
    for (long i = 0; i < size; i++)
        buf[i] = (unsigned char)(i % 251 + 1);
}

#endif
