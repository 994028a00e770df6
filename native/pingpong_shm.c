/* Native floor of the shared-memory transport: the C equivalent of
 * commbench/transports/shm.py. One shared mapping, two sequence counters, both ends
 * spinning; the client copies its message into the request area and bumps its
 * sequence, the peer copies the request into the reply area and bumps its own.
 * No system call on the path: the floor of the floor. Cross-core only (both spin).
 */
#include "common.h"

#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define HEADER_BYTES 256
#define SPINS_PER_CLOCK_CHECK 4096

struct header {
    _Atomic uint64_t client_seq; /* the client's cache line */
    uint64_t client_len;
    char pad1[48];
    _Atomic uint64_t peer_seq; /* the peer's cache line */
    uint64_t peer_len;
    char pad2[48];
    _Atomic uint64_t stop;
};

/* Spin until *counter == expected; 0 when it came, -1 past the deadline or on stop. */
static int wait_for(_Atomic uint64_t *counter, uint64_t expected, _Atomic uint64_t *stop,
                    int64_t limit_ns)
{
    long spins = 0;
    int64_t first = 0;
    while (atomic_load_explicit(counter, memory_order_acquire) != expected) {
        if (++spins % SPINS_PER_CLOCK_CHECK)
            continue;
        if (stop && atomic_load_explicit(stop, memory_order_relaxed))
            return -1;
        int64_t now = now_ns();
        if (!first)
            first = now;
        else if (now - first > limit_ns)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = parse_options(argc, argv);
    if (strcmp(o.mode, "pingpong") != 0) {
        fprintf(stderr, "native helper: shm: ping-pong only\n");
        return 2;
    }
    if (o.client_cpu == o.peer_cpu) {
        fprintf(stderr, "native helper: shm: both ends spin, so never on one core\n");
        return 2;
    }
    size_t bytes = HEADER_BYTES + 2 * (size_t)o.size;
    unsigned char *seg = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (seg == MAP_FAILED)
        die("mmap");
    struct header *h = (struct header *)seg;
    unsigned char *request = seg + HEADER_BYTES, *reply = seg + HEADER_BYTES + o.size;
    int64_t limit_ns = (int64_t)o.timeout_s * 1000000000;

    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        peer_guard(parent, o.timeout_s);
        pin(o.peer_cpu);
        for (uint64_t seq = 1;; seq++) {
            if (wait_for(&h->client_seq, seq, &h->stop, limit_ns) != 0)
                _exit(0);
            uint64_t n = h->client_len;
            memcpy(reply, request, n);
            h->peer_len = n;
            atomic_store_explicit(&h->peer_seq, seq, memory_order_release);
        }
    }
    alarm(o.timeout_s + 10);
    pin(o.client_cpu);
    unsigned char *msg = malloc(o.size);
    int64_t *rtt = malloc(sizeof *rtt * o.count);
    if (!msg || !rtt)
        die("malloc");
    fill_message(msg, o.size);
    uint64_t seq = 0;
    for (long i = -o.warmup; i < o.count; i++) {
        int64_t start = now_ns();
        memcpy(request, msg, o.size);
        h->client_len = o.size;
        atomic_store_explicit(&h->client_seq, ++seq, memory_order_release);
        if (wait_for(&h->peer_seq, seq, NULL, limit_ns) != 0) {
            fprintf(stderr, "native helper: shm: no answer from the peer\n");
            return 3;
        }
        int64_t t = now_ns() - start;
        if (h->peer_len != (uint64_t)o.size) {
            fprintf(stderr, "native helper: shm: reply of %llu B, sent %ld\n",
                    (unsigned long long)h->peer_len, o.size);
            return 3;
        }
        if (i >= 0)
            rtt[i] = t;
    }
    if (memcmp(reply, msg, o.size) != 0) {
        fprintf(stderr, "native helper: shm: the echo returned other bytes\n");
        return 3;
    }
    atomic_store(&h->stop, 1);
    printf("# tool c-helper\n# kind shm\n# size_bytes %ld\n", o.size);
    print_samples(rtt, o.count);
    fflush(stdout);
    int status;
    waitpid(child, &status, 0);
    return 0;
}
