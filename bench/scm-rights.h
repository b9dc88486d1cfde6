/* sendmsg/recvmsg of one byte with fds attached (SCM_RIGHTS), shared by the
 * C reference programs of the benchmarks. */
#ifndef BENCH_SCM_RIGHTS_H
#define BENCH_SCM_RIGHTS_H

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sends one byte with `n` fds; returns what sendmsg returns. */
static ssize_t send_fds(int sock, const int *fds, int n) {
  char byte = 'x';
  char control[CMSG_SPACE(sizeof(int) * 253)];
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * n);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  return sendmsg(sock, &msg, 0);
}

/* Receives one byte and up to `max` fds into `out`; returns the fd count, or
 * -1 at end of stream or on an error. */
static int recv_fds(int sock, int *out, int max) {
  char byte;
  char control[CMSG_SPACE(sizeof(int) * 253)];
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) return -1;
  int count = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int *got = (const int *)CMSG_DATA(c);
    for (int i = 0; i < n; i++) {
      if (count < max) out[count++] = got[i];
      else close(got[i]);
    }
  }
  return count;
}

#endif
