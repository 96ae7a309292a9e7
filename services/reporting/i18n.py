"""The dashboard's words in Chinese and English (the language switch)."""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

WORDS: dict[str, tuple[str, str]] = {
    # key: (中文, English)
    "title": ("总部看板", "Head-office dashboard"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "token": ("访问令牌（JWT）", "Access token (JWT)"),
    "token_help": (
        "粘贴 `estatedesk dev` 打印的令牌，或 `estatedesk token --role head_office` 生成的令牌。",
        "Paste the token `estatedesk dev` printed, or one from `estatedesk token --role head_office`.",
    ),
    "bad_token": ("令牌无效或已过期。", "That token is not valid or has expired."),
    "not_head_office": ("此页面仅限总部人员。", "This page is for head-office staff."),
    "month": ("月份", "Month"),
    "show": ("查看", "Show"),
    "ranking": ("各小区回访满意率排名", "Estates ranked by callback satisfaction"),
    "trend": ("满意率趋势（近12个月）", "Satisfaction trend (last 12 months)"),
    "rates_vs_target": ("回访率与目标", "Callback rate vs target"),
    "sla": ("时限达标率", "SLA compliance"),
    "estate": ("小区", "Estate"),
    "region": ("区域", "Region"),
    "tickets": ("工单数", "Tickets"),
    "complaints": ("投诉数", "Complaints"),
    "callback_rate": ("回访率", "Callback rate"),
    "callback_target": ("目标回访率", "Target"),
    "satisfaction_rate": ("满意率", "Satisfaction"),
    "full_satisfaction_rate": ("完全满意率", "Fully satisfied"),
    "first_reply_on_time_rate": ("首次答复及时率", "First reply on time"),
    "on_site_on_time_rate": ("到场及时率", "On site on time"),
    "resolution_on_time_rate": ("处理及时率", "Resolved on time"),
    "reopen_rate": ("重开率", "Reopen rate"),
    "change": ("环比", "vs previous month"),
    "export": ("导出", "Export"),
    "no_data": ("本月暂无数据。", "No data for this month yet."),
    "qr004": ("回访统计月统计表（QR004）", "Monthly callback statistics (QR004)"),
    "area": ("项目", "Area"),
    "satisfied": ("满意", "Satisfied"),
    "fairly_satisfied": ("较满意", "Fairly satisfied"),
    "unsatisfied": ("不满意", "Unsatisfied"),
    "reached": ("回访成功数", "Reached"),
    "rates_by_rule": ("各类回访率", "Callback rate by rule"),
    "rule": ("回访类别", "Rule"),
    "eligible": ("应回访", "Eligible"),
    "done": ("已回访", "Done"),
    "coverage": ("例行回访年度覆盖率", "Routine-visit coverage of occupied units (12 months)"),
    "complaint_summary": ("投诉统计", "Complaint summary"),
    "median_first_reply": ("首次答复中位时长（分钟）", "Median time to first reply (minutes)"),
    "median_resolution": ("处理完成中位时长（小时）", "Median time to resolution (hours)"),
    "nonconformance": ("季度不合格项", "Quarterly nonconformance"),
    "type": ("类型", "Type"),
    "place": ("房号/位置", "Unit or place"),
    "category": ("类别", "Category"),
    "count": ("次数", "Times"),
    "when": ("时间", "When"),
    "none": ("无", "None"),
    "back": ("返回总览", "Back to the overview"),
    "callback_failed": ("回访失败", "Callback failed"),
    "callback_unsatisfied": ("回访不满意", "Unsatisfied callback"),
    "repeated_complaint": ("同一事项重复投诉", "Same matter complained about again"),
    "repeated_repair": ("同一维修三次及以上", "Same repair three times or more"),
    "language": ("English", "中文"),
}


def translator(lang: str):
    index = 0 if lang == "zh" else 1

    def t(key: str) -> str:
        pair = WORDS.get(key)
        return pair[index] if pair else key

    return t
