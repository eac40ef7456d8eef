/*
 * Stand-in for Windows' bcryptprimitives.dll, for running Rust test
 * binaries under Wine 8 (scripts/windows-tests.sh).
 *
 * Rust's standard library gets its random seeds (HashMap keys) from
 * ProcessPrng, exported by bcryptprimitives.dll since Windows 10. Wine 8
 * has no such DLL, so every Rust program fails to start there. This one
 * exports ProcessPrng and fills the buffer from RtlGenRandom
 * (advapi32's SystemFunction036), which Wine does implement. Newer Wine
 * versions ship the DLL, and the script then leaves theirs alone.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* RtlGenRandom takes a ULONG length: fill larger buffers in pieces. */
    while (len > 0) {
        ULONG piece = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, piece))
            return FALSE;
        data += piece;
        len -= piece;
    }
    return TRUE;
}
