# baresip phones, headless: ausine tone out, sndfile records what was heard,
# ctrl_tcp driven through tools/ctrl_agent.py. Sourced by run.sh.
# shellcheck shell=bash

# Distinct, non-harmonic tones so each recording names its talker.
declare -A PHONE_TONE=([l1]=500 [l2]=700 [w1]=900 [w2]=1100)
declare -A PHONE_PID=() AGENT_PID=()
PHONE_LIFETIME=${PHONE_LIFETIME:-240}

phone_dir() { echo "$REP_DIR/phones/$1"; }

# phone_start HOST [transport udp|tcp] [regint]
# The account registers at the lab PBX as user HOST and auto-answers.
# PHONE_CODECS: more codec modules, offered after g711's PCMU/PCMA (a bigger SDP).
# PHONE_AF=6: over IPv6 (lib/v6.sh: its addresses, baresip -6).
phone_start() {
  local host=$1 transport=${2:-udp} regint=${3:-300}
  local d; d=$(phone_dir "$host")
  rm -rf "$d"; mkdir -p "$d/rec"
  local ip=${HOST_IP[$host]} tp="" reg=$PBX_IP af=()
  [[ $transport == tcp ]] && tp=";transport=tcp"
  if [[ ${PHONE_AF:-4} == 6 ]]; then
    ip=$(v6_host "${HOST_IP6[$host]}") reg=$(v6_host "$PBX_IP6") af=(-6)
  fi
  cat >"$d/config" <<CFG
poll_method		epoll
sip_listen		$ip:5060
audio_source		ausine,${PHONE_TONE[$host]}
ausrc_srate		48000
ausrc_channels		2
rtp_ports		${PHONE_RTP_PORTS:-10000-10098}
module_path		/usr/lib/baresip/modules
module			g711.so
$(for m in ${PHONE_CODECS:-}; do printf 'module\t\t\t%s.so\n' "$m"; done)
module			ausine.so
module			sndfile.so
snd_path		$d/rec
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:4444
CFG
  echo "<sip:$host@$reg$tp>;answermode=auto;regint=$regint;outbound=\"sip:$reg$tp\"" >"$d/accounts"
  : >"$d/contacts"
  mkfifo "$d/cmd"
  ip netns exec "$(ns "$host")" baresip "${af[@]}" -f "$d" -t "$PHONE_LIFETIME" >"$d/baresip.log" 2>&1 &
  PHONE_PID[$host]=$!
  ip netns exec "$(ns "$host")" python3 "$LAB_DIR/tools/ctrl_agent.py" --fifo "$d/cmd" --log "$d/ctrl.log" \
    --lifetime "$PHONE_LIFETIME" >>"$d/agent.log" 2>&1 &
  AGENT_PID[$host]=$!
}

# Commands go through the agent's FIFO; never block if the agent is gone
# (a FIFO without a reader would hang the writer forever).
phone_cmd() {
  kill -0 "${AGENT_PID[$1]:-0}" 2>/dev/null || return 1
  timeout 2 bash -c 'echo "$1" >"$2"' _ "$2" "$(phone_dir "$1")/cmd"
}

# The polling helpers below are plain bash + grep on purpose: inside the qemu
# guest every python3 start costs seconds (TCG, root over 9p), which would
# stretch the timed parts of a call.

# _ctrl_match KIND: the grep pattern for an event type, or "response"
_ctrl_match() {
  if [[ $1 == response ]]; then echo '"response": true'; else echo "\"type\": \"$1\""; fi
}

# phone_wait HOST EVENT [timeout s] [count] -> prints the count-th such message, 1 on timeout
phone_wait() {
  local log pat t=${3:-10} n=${4:-1} end c
  log="$(phone_dir "$1")/ctrl.log" pat=$(_ctrl_match "$2")
  end=$(($(date +%s%N) + ${t%.*} * 1000000000))
  while :; do
    c=$(grep -c -F "$pat" "$log" 2>/dev/null) || true
    if ((${c:-0} >= n)); then
      grep -F "$pat" "$log" | sed -n "${n}p"
      return 0
    fi
    (($(date +%s%N) > end)) && return 1
    sleep 0.1
  done
}

phone_count() {  # phone_count HOST EVENT -> number of such events so far
  local c
  c=$(grep -c -F "\"type\": \"$2\"" "$(phone_dir "$1")/ctrl.log" 2>/dev/null) || true
  echo "${c:-0}"
}

# Registered = baresip's reginfo shows the account OK; poll it, bounded
# (REGISTER often completes before the agent connects, so events can be missed).
phone_wait_registered() {
  local host=$1 t=${2:-10} log i n
  log="$(phone_dir "$host")/ctrl.log"
  for ((i = 0; i < t * 2; i++)); do
    n=$(grep -c -F '"response": true' "$log" 2>/dev/null) || true
    phone_cmd "$host" reginfo
    if phone_wait "$host" response 2 $((${n:-0} + 1)) | grep -qF '[32mOK'; then
      return 0
    fi
    sleep 0.4
  done
  return 1
}

# phones_up HOST... [--tcp]: start them in parallel, wait until all registered.
phones_up() {
  local tp=udp h ok=0
  local hosts=()
  for h in "$@"; do [[ $h == --tcp ]] && tp=tcp || hosts+=("$h"); done
  for h in "${hosts[@]}"; do phone_start "$h" "$tp"; done
  for h in "${hosts[@]}"; do
    phone_wait_registered "$h" 10 || { echo "phone $h: not registered" >>"$REP_DIR/notes.txt"; ok=1; }
  done
  return $ok
}

phone_stop() {
  local host=$1
  [[ -n ${PHONE_PID[$host]:-} ]] || return 0
  phone_cmd "$host" quit 2>/dev/null || true
  local i
  for i in $(seq 1 20); do
    kill -0 "${PHONE_PID[$host]}" 2>/dev/null || break
    sleep 0.1
  done
  kill "${PHONE_PID[$host]}" "${AGENT_PID[$host]}" 2>/dev/null || true
  for i in $(seq 1 20); do
    kill -0 "${PHONE_PID[$host]}" 2>/dev/null || kill -0 "${AGENT_PID[$host]}" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "${PHONE_PID[$host]}" "${AGENT_PID[$host]}" 2>/dev/null || true
  wait "${PHONE_PID[$host]}" "${AGENT_PID[$host]}" 2>/dev/null || true
  unset "PHONE_PID[$host]" "AGENT_PID[$host]"
}

phones_stop_all() {
  local h
  for h in "${!PHONE_PID[@]}"; do phone_stop "$h"; done
}

# Recordings (what the phone heard), newest last.
phone_recordings() { ls -1tr "$(phone_dir "$1")"/rec/*-dec.wav 2>/dev/null; }
