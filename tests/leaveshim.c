/*
 * leaveshim.c - an LD_PRELOAD shim for tests/32-lifecycle.bats: a reader
 * that, leaving, is slow to drop its slot lock (LEAVESHIM_HOLD_MS, as a
 * process descheduled on a loaded machine is) and is then SIGKILLed
 * between dropping its shared lock on byte 0 and its own exclusive try
 * for it -- the death the wait at leaving is there to cover.
 *
 * Build: cc -shared -fPIC -o leaveshim.so leaveshim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
fcntl(int fd, int cmd, ...)
{
	static int (*real)(int, int, ...);
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (int (*)(int, int, ...))dlsym(RTLD_NEXT, "fcntl");
	if (cmd == F_OFD_SETLK) {
		struct flock *fl = arg;

		if (fl->l_type == F_UNLCK && fl->l_start >= 64 &&
		    fl->l_start < 80 && fl->l_len == 1) {
			const char *h = getenv("LEAVESHIM_HOLD_MS");
			long ms = h ? atol(h) : 100;
			struct timespec ts = {ms / 1000, ms % 1000 * 1000000};

			nanosleep(&ts, NULL);
		}
		if (fl->l_type == F_WRLCK && fl->l_start == 0 && fl->l_len == 1)
			raise(SIGKILL);
	}
	return real(fd, cmd, arg);
}
