"""The meeting pack (会议材料): PDF and Excel exports of the overview, built offline (see report.pack)."""
