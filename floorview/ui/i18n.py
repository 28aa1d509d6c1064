"""Screen labels in English and Simplified Chinese.

The English text is the key (``tr("Queue")``), so the code reads as the screen does and a
label missing from a catalogue falls back to English rather than to a key nobody can read.
Only our own labels are translated: names, subjects and reasons from APIs are shown as sent.

One language per process: the app sets it at start and on a switch, and every widget asks
``tr`` while drawing, so a switch shows everywhere at the next refresh.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "zh-CN")
DEFAULT_LANGUAGE = "en"

ZH_CN: dict[str, str] = {
    # header, banners
    "READ-ONLY": "只读",
    "no data yet": "尚无数据",
    "data {age} old": "数据已过 {age}",
    "SOURCE DOWN": "数据源中断",
    "STALE": "数据陈旧",
    "figures hidden": "数字已隐藏",
    "Terminal too small": "终端窗口太小",
    "floorview needs at least {w}x{h}; this terminal is {cw}x{ch}.":
        "floorview 至少需要 {w}x{h}；当前终端为 {cw}x{ch}。",
    # views
    "Floor": "现场",
    "Forecast": "预测",
    "Agent": "坐席",
    "Alerts": "告警",
    "Help": "帮助",
    # queue board
    "Queue": "队列",
    "Wait": "等待",
    "Oldest": "最久",
    "SL today": "今日SL",
    "SL intvl": "本段SL",
    "Aband": "放弃",
    "ASA": "平均等待",
    "AHT": "平均处理",
    "Staff": "在岗",
    "Avail": "空闲",
    "Sched": "排班",
    "Need": "所需",
    "Gap": "缺口",
    "Last hour": "近一小时",
    # agent board
    "State": "状态",
    "Time": "时长",
    "On queue": "当前队列",
    "Contact": "通话",
    "Occ 60m": "占用60分",
    "Occ today": "今日占用",
    "Team": "团队",
    "Queues": "队列",
    "Available": "空闲",
    "On contact": "通话中",
    "Wrap-up": "话后处理",
    "Aux": "暂离",
    "Offline": "离线",
    # alerts and escalations
    "Alert": "告警",
    "Age": "持续",
    "FIRING": "触发中",
    "resolved": "已恢复",
    "pending": "待定",
    "based on stale data": "基于陈旧数据",
    "note": "备注",
    "Due": "到期",
    "Pri": "优先级",
    "Subject": "主题",
    "Owner": "负责人",
    "Group": "组",
    "Escalations": "升级工单",
    "unassigned": "未分配",
    "Since": "开始",
    "Acknowledged by": "确认人",
    "Expires": "到期",
    "History": "历史",
    "started": "开始",
    "fired": "触发",
    "cleared": "清除",
    "acknowledged": "已确认",
    "No alerts.": "没有告警。",
    # agent detail
    "Today's states": "今日状态",
    "Recent contacts": "最近通话",
    "Stress": "压力",
    "Recent actions": "最近操作",
    "sentiment": "情绪",
    "No agent chosen: put the cursor on an agent on the Floor and press 3.":
        "未选择坐席：在现场页将光标移到坐席上，然后按 3。",
    "No stress signals.": "没有压力信号。",
    "No actions on this agent in the journal.": "日志中没有对此坐席的操作。",
    "occupancy": "占用率",
    "presence": "在线状态",
    "contacts": "通话数",
    # filter, sort, columns
    "Filter": "筛选",
    "Sort": "排序",
    "Columns": "列",
    "filter": "筛选",
    "sorted by": "排序",
    "{shown} of {total} agents": "{shown}/{total} 名坐席",
    # key actions
    "Quit": "退出",
    "Ack": "确认",
    "Reassign": "调配",
    "Select agent": "选择坐席",
    "Undo move": "撤销调配",
    "Stop move": "停止调配",
    "Theme": "主题",
    "Language": "语言",
    "Commands": "命令",
    "Next queue": "下一队列",
    "Previous queue": "上一队列",
    # help
    "Keys": "按键",
    "Key": "键",
    "Action": "操作",
    "What the figures mean": "数字的含义",
    # key help (floorview/ui/keymap.py)
    "Queues, agents, alerts and escalations, live.": "队列、坐席、告警与升级工单，实时显示。",
    "The queue under the cursor: forecast, actual and re-forecast by interval.":
        "光标所在队列：按时段显示预测、实际与重新预测。",
    "The agent under the cursor: today's states, contacts, stress, actions.":
        "光标所在坐席：今日状态、通话、压力与操作记录。",
    "Every alert with its state, owner, note and history.": "所有告警及其状态、负责人、备注与历史。",
    "This screen: every key and what each figure means.": "本页：所有按键及各项数字的含义。",
    "Show only agents matching words, or team:, queue:, state: terms.":
        "只显示匹配关键词的坐席，可用 team:、queue:、state: 条件。",
    "Sort the focused board by a column; the same column again reverses it.":
        "按某列排序当前表格；再次选择同一列则反向排序。",
    "Choose which columns the focused board shows.": "选择当前表格显示哪些列。",
    "Acknowledge the alert under the cursor, with a note.": "确认光标所在的告警，并附备注。",
    "Move the selected agents (or the one under the cursor) between queues.":
        "将选中的坐席（或光标所在坐席）调配到其他队列。",
    "Pick or unpick the agent under the cursor for a reassignment.": "选中或取消选中光标所在坐席以便调配。",
    "Put back the agents of the last move made here, after a confirmation.":
        "确认后，撤销在此进行的上一次调配。",
    "Stop a move under way after the agent in hand.": "在处理完当前坐席后停止进行中的调配。",
    "Forecast screen: the next queue.": "预测页：下一个队列。",
    "Forecast screen: the previous queue.": "预测页：上一个队列。",
    "Switch to the next theme.": "切换到下一个主题。",
    "Switch the labels between English and Simplified Chinese.": "在英文与简体中文之间切换界面文字。",
    "Search every action by name.": "按名称搜索所有操作。",
    "Leave floorview.": "退出 floorview。",
    "Close filter": "关闭筛选",
    "Summary": "摘要",
    "Incident": "事件",
    "Pin queue": "置顶队列",
    "Pinned queues: their trend since the pin, and what more agents would do.": "置顶队列：置顶以来的趋势，以及增派坐席的效果。",
    "Pin or unpin the queue under the cursor for the incident screen (6).": "为事件页（6）置顶或取消置顶光标所在队列。",
    "No queue pinned: on the Floor, put the cursor on a queue and press i.": "未置顶队列：在现场页将光标移到队列上，然后按 i。",
    "No re-forecast for this queue this interval.": "本时段此队列没有重新预测。",
    "Moving agents in, this interval:": "本时段增派坐席：",
    "since": "自",
    "waiting": "等待",
    "wait": "等待",
    "Serving": "服务中",
    "pinned": "已置顶",
    "unpinned": "已取消置顶",
    "Screenshot": "截图",
    "Write the incident-bridge summary (Markdown) to a file and copy it.": "将事件桥接摘要（Markdown）写入文件并复制。",
    "Save this screen as an SVG file.": "将当前屏幕保存为 SVG 文件。",
    "Waiting": "等待中",
    "Longest wait": "最长等待",
    "SL today %": "今日SL %",
    "below target": "低于目标",
    "none free": "无空闲",
    "[ and ] step through the queues": "按 [ 和 ] 切换队列",
    "No forecast yet: the source's plan has not arrived.": "尚无预测：数据源的计划还未送达。",
    # figure definitions (floorview/ui/help_view.py)
    "Answered within the queue's threshold / (answered + abandoned), since the source's "
    "midnight; ▼ marks a figure below the queue's target.":
        "阈值内接听数 / (接听数 + 放弃数)，自数据源当日零点起；▼ 表示低于队列目标。",
    "The same, for the 15-minute interval in progress so far, from the source's interval "
    "counters (refreshed every minute).": "同上，仅计当前 15 分钟时段，取自数据源的时段计数（每分钟刷新）。",
    "Abandoned / (answered + abandoned) today.": "今日放弃数 / (接听数 + 放弃数)。",
    "Mean wait of contacts that left the queue today (answered or abandoned).":
        "今日离开队列的来电（接听或放弃）的平均等待时间。",
    "Handle time (talk + wrap-up) / handled contacts today.": "今日处理时长（通话 + 话后处理）/ 已处理数。",
    "Logged-in agents who take the queue (available, on contact or wrap-up).":
        "接听该队列的已登录坐席（空闲、通话中或话后处理）。",
    "Of those, agents available now.": "其中当前空闲的坐席。",
    "Agents the schedule has on the queue this interval.": "排班表在本时段安排给该队列的坐席数。",
    "Agents the intraday re-forecast says this interval needs to meet the target (Erlang A "
    "where caller patience is known, else Erlang C).":
        "日内重新预测得出本时段达标所需坐席数（已知来电者耐心时用 Erlang A，否则用 Erlang C）。",
    "Need minus agents serving the queue now; ▲ means short.": "所需减去当前服务该队列的坐席数；▲ 表示人手不足。",
    "The most contacts waiting in each 5 minutes of the last hour.": "近一小时内每 5 分钟的最高等待数。",
    "(on contact + wrap-up) / (on contact + wrap-up + available) over the last 60 minutes "
    "this dashboard watched; ~ marks a window not seen whole.":
        "（通话 + 话后处理）/（通话 + 话后处理 + 空闲），按本看板观察到的最近 60 分钟计；~ 表示窗口未完整观察。",
    "The same since midnight, from the source's own counters.": "同上，自零点起，取自数据源自身计数。",
    "A stress flag: a reason to check in with the agent (shown on focus), not a score.":
        "压力标记：提示需要关心该坐席（光标停留时显示原因），不是评分。",
    "Time until a ticket breaches its SLA; a minus sign and ✖ mean overdue.":
        "工单距离违反 SLA 的时间；负号与 ✖ 表示已逾期。",
}

CATALOGUES: dict[str, Mapping[str, str]] = {"en": {}, "zh-CN": ZH_CN}

_language = DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    global _language
    if language not in CATALOGUES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    _language = language


def language() -> str:
    return _language


def tr(text: str, **values: object) -> str:
    """``text`` in the current language, with ``{name}`` fields filled from ``values``."""
    out = CATALOGUES[_language].get(text, text)
    return out.format(**values) if values else out
