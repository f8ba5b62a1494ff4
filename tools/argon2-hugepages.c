/*
 * How much transparent huge pages give libargon2 (docs/performance.md): one Argon2id derivation through the system's
 * libargon2, with its memory from malloc (as the reference argon2 program has it) or from a 2 MiB-aligned mapping
 * marked MADV_HUGEPAGE (as the module gives it). Prints the time and the tag, which must be the same both ways.
 *
 *   apt-get install libargon2-dev gcc
 *   cc -O2 -o out/argon2-hugepages tools/argon2-hugepages.c -largon2
 *   out/argon2-hugepages 0 262144; out/argon2-hugepages 1 262144     # malloc, then huge pages (256 MiB, t=3, p=4)
 */
#include <argon2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define ALIGNMENT ((size_t)2 << 20)

static int allocate(uint8_t **memory, size_t bytes)
{
    uint8_t *start = mmap(NULL, bytes + ALIGNMENT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (start == MAP_FAILED) { *memory = NULL; return -1; }
    uint8_t *aligned = (uint8_t *)(((uintptr_t)start + ALIGNMENT - 1) & ~(uintptr_t)(ALIGNMENT - 1));
    if (aligned > start) munmap(start, (size_t)(aligned - start));
    size_t tail = (size_t)(start + bytes + ALIGNMENT - (aligned + bytes));
    if (tail > 0) munmap(aligned + bytes, tail);
    madvise(aligned, bytes, MADV_HUGEPAGE);
    *memory = aligned;
    return 0;
}

static void release(uint8_t *memory, size_t bytes) { munmap(memory, bytes); }

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s HUGEPAGES(0|1) MEMORY_KIB\n", argv[0]); return 2; }
    uint8_t out[32], salt[] = "saltsaltsaltsalt";
    char password[] = "benchmark password";
    argon2_context context;
    memset(&context, 0, sizeof context);
    context.out = out; context.outlen = sizeof out;
    context.pwd = (uint8_t *)password; context.pwdlen = (uint32_t)strlen(password);
    context.salt = salt; context.saltlen = 16;
    context.t_cost = 3; context.m_cost = (uint32_t)atoi(argv[2]); context.lanes = 4; context.threads = 4;
    context.version = ARGON2_VERSION_13;
    if (atoi(argv[1])) { context.allocate_cbk = allocate; context.free_cbk = release; }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int result = argon2_ctx(&context, Argon2_id);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%s %.0f ms ", atoi(argv[1]) ? "hugepages" : "malloc", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
    for (size_t i = 0; i < sizeof out; i++) printf("%02x", out[i]);
    printf("\n");
    return result;
}
