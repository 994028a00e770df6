/* Native floor of the MPI transports: a C ping-pong between ranks 0 and 1 of one
 * mpiexec, built with the venv's mpicc against the MPICH the suite uses (the mpich
 * wheel), MPI_Send/MPI_Recv of -s bytes (MPI_BYTE), timed in rank 0.
 *
 * Unlike the other helpers, -s and -n take comma-separated lists (one count per size):
 * starting mpiexec costs seconds, so one run measures every size, printing one block
 * ("# size_bytes S", "rtt_ns n", n lines) per size. Rank 0 pins itself to -c, rank 1
 * to -p (mpiexec's -bind-to does the same; this makes it explicit).
 */
#include "common.h"

#include <mpi.h>

#define MAX_SIZES 64

static int parse_list(const char *text, long *out)
{
    int n = 0;
    char *copy = strdup(text), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && n < MAX_SIZES; tok = strtok_r(NULL, ",", &save))
        out[n++] = atol(tok);
    free(copy);
    return n;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const char *sizes_arg = "64", *counts_arg = "1000";
    int client_cpu = 0, peer_cpu = 1, timeout_s = 60, ch;
    long warmup = 100;
    while ((ch = getopt(argc, argv, "c:p:s:n:w:t:")) != -1) {
        switch (ch) {
        case 'c': client_cpu = atoi(optarg); break;
        case 'p': peer_cpu = atoi(optarg); break;
        case 's': sizes_arg = optarg; break;
        case 'n': counts_arg = optarg; break;
        case 'w': warmup = atol(optarg); break;
        case 't': timeout_s = atoi(optarg); break;
        default:
            if (rank == 0)
                fprintf(stderr, "usage: %s -c CPU -p CPU -s S1,S2.. -n N1,N2.. [-w W] [-t S]\n", argv[0]);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
    }
    long sizes[MAX_SIZES], counts[MAX_SIZES];
    int nsizes = parse_list(sizes_arg, sizes);
    if (ranks != 2 || nsizes == 0 || parse_list(counts_arg, counts) != nsizes) {
        if (rank == 0)
            fprintf(stderr, "native helper: mpi: 2 ranks and one count per size, please\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    alarm(timeout_s);
    pin(rank == 0 ? client_cpu : peer_cpu);
    long largest = 1;
    for (int k = 0; k < nsizes; k++)
        largest = sizes[k] > largest ? sizes[k] : largest;
    unsigned char *msg = malloc(largest), *buf = malloc(largest);
    if (!msg || !buf)
        die("malloc");
    fill_message(msg, largest);
    if (rank == 0) {
        char version[MPI_MAX_LIBRARY_VERSION_STRING];
        int len;
        MPI_Get_library_version(version, &len);
        char *eol = strchr(version, '\n');
        if (eol)
            *eol = 0;
        printf("# tool c-helper\n# kind mpi\n# library_version %s\n", version);
    }
    for (int k = 0; k < nsizes; k++) {
        int size = (int)sizes[k];
        long count = counts[k];
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 1) {
            for (long i = -warmup; i < count; i++) {
                MPI_Recv(buf, size, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                MPI_Send(buf, size, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
            }
            continue;
        }
        int64_t *rtt = malloc(sizeof *rtt * count);
        for (long i = -warmup; i < count; i++) {
            int64_t start = now_ns();
            MPI_Send(msg, size, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
            MPI_Recv(buf, size, MPI_BYTE, 1, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (i >= 0)
                rtt[i] = now_ns() - start;
        }
        if (memcmp(buf, msg, size) != 0) {
            fprintf(stderr, "native helper: mpi: the echo returned other bytes\n");
            MPI_Abort(MPI_COMM_WORLD, 3);
        }
        printf("# size_bytes %d\n", size);
        print_samples(rtt, count);
        free(rtt);
    }
    fflush(stdout);
    MPI_Finalize();
    return 0;
}
