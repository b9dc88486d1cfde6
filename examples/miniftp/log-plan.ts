// Which logs a configuration writes, as vsftpd's logging.c decides it:
// logging is on with xferlog_enable or dual_log_enable; the xferlog-format
// log with xferlog_std_format or dual_log_enable; the vsftpd-style log
// without xferlog_std_format or with dual_log_enable, to the system log
// instead of its file with syslog_enable.
import type { MiniftpConfig } from './config-table.js';
import type { SessionLogEvent } from './session/index.js';

export interface LogPlan {
  vsftpdLog: 'file' | 'syslog' | null;
  xferlog: boolean;
  /** log_ftp_protocol lines (only in the vsftpd-style log). */
  protocol: boolean;
}

export function logPlan(config: MiniftpConfig): LogPlan {
  const on = config.xferlog_enable || config.dual_log_enable;
  const vsftpdLog = on && (config.dual_log_enable || !config.xferlog_std_format) ? (config.syslog_enable ? 'syslog' : 'file') : null;
  return { vsftpdLog, xferlog: on && (config.dual_log_enable || config.xferlog_std_format), protocol: vsftpdLog !== null && config.log_ftp_protocol };
}

/** Whether some log of `plan` has a line for `event`. */
export function plannedFor(plan: LogPlan, event: Pick<SessionLogEvent, 'type'>): boolean {
  if (event.type === 'protocol') return plan.protocol;
  return plan.vsftpdLog !== null || (plan.xferlog && event.type === 'transfer');
}
