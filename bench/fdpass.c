/* Reference for bench/fdpass.mjs: a parent passes fds to a child over a
 * socketpair with sendmsg/SCM_RIGHTS as fast as it can; the child receives
 * each message and closes its fds. Prints "<messages> <seconds>".
 * Usage: fdpass <fds-per-message> <messages> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
  char control[CMSG_SPACE(sizeof(int) * 253)];
  char byte = 'x';
  double start = now();
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    for (long m = 0; m < count; m++) {
      struct iovec iov = {&byte, 1};
      struct msghdr msg = {0};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      if (recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC) != 1) _exit(1);
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        int n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *got = (int *)CMSG_DATA(c);
        for (int i = 0; i < n; i++) close(got[i]);
      }
    }
    _exit(0);
  }
  close(sv[1]);
  for (long m = 0; m < count; m++) {
    struct iovec iov = {&byte, 1};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * per);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * per);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * per);
    if (sendmsg(sv[0], &msg, 0) != 1) return 1;
  }
  int status;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  printf("%ld %.6f\n", count, now() - start);
  return 0;
}
