/* Reference for bench/fdpass.mjs: a parent passes fds to a child over a
 * socketpair with sendmsg/SCM_RIGHTS as fast as it can; the child receives
 * each message and closes its fds. Prints "<messages> <seconds>".
 * Usage: fdpass <fds-per-message> <messages> */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scm-rights.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int per = atoi(argv[1]);
  long count = atol(argv[2]);
  if (per < 1 || per > 253 || count < 1) return 2;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
  int fds[253];
  for (int i = 0; i < per; i++) fds[i] = open("/dev/null", O_RDONLY);
  double start = now();
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    int got[253];
    for (long m = 0; m < count; m++) {
      int n = recv_fds(sv[1], got, 253);
      if (n < 0) _exit(1);
      for (int i = 0; i < n; i++) close(got[i]);
    }
    _exit(0);
  }
  close(sv[1]);
  for (long m = 0; m < count; m++) {
    if (send_fds(sv[0], fds, per) != 1) return 1;
  }
  int status;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  printf("%ld %.6f\n", count, now() - start);
  return 0;
}
