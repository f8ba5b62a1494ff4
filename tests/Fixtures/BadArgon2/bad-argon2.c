/*
 * A library that claims to be libargon2 and gives wrong answers: it exports argon2_ctx, reports success, and fills
 * the output with a fixed pattern. The tests build it with the system's C compiler (when there is one) and point
 * $env:SSOSECRET_ARGON2_LIBRARY at it, to prove that such a library fails the self-test and is never used.
 *
 *   cc -shared -fPIC -o libbadargon2.so bad-argon2.c
 */
#include <stdint.h>
#include <string.h>

/* The start of argon2.h's argon2_context: the output pointer and length come first. */
typedef struct {
    uint8_t *out;
    uint32_t outlen;
} argon2_context_head;

int argon2_ctx(argon2_context_head *context, int type)
{
    (void)type;
    memset(context->out, 0x42, context->outlen);
    return 0; /* ARGON2_OK */
}

const char *argon2_error_message(int error_code)
{
    (void)error_code;
    return "bad-argon2 never fails";
}
