// The time stamp of miniftp's log lines, as vsftpd and wu-ftpd write it:
// ctime(3) without the newline, "Thu Mar  4 08:12:30 2004".

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number): string => String(n).padStart(2, '0');

/** `time` as ctime(3) writes it, in the server's time zone when `local`, else in UTC. */
export function ctimeStamp(time: Date, local: boolean): string {
  const [weekday, month, day, hours, minutes, seconds, year] = local
    ? [time.getDay(), time.getMonth(), time.getDate(), time.getHours(), time.getMinutes(), time.getSeconds(), time.getFullYear()]
    : [time.getUTCDay(), time.getUTCMonth(), time.getUTCDate(), time.getUTCHours(), time.getUTCMinutes(), time.getUTCSeconds(), time.getUTCFullYear()];
  return `${DAYS[weekday]} ${MONTHS[month]} ${String(day).padStart(2, ' ')} ${two(hours)}:${two(minutes)}:${two(seconds)} ${year}`;
}
