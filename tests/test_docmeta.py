from rag.docmeta import stated_effective_date, stated_version


def test_version_as_written_in_either_script():
    assert stated_version("客服规范\n版本号：V2.1\n") == "V2.1"
    assert stated_version("客服規範 版本 3.0.1") == "3.0.1"
    assert stated_version("客服规范\n一、总则\n") is None


def test_effective_date_in_the_usual_phrasings():
    assert stated_effective_date("本规范自2025年3月1日起施行。") == "2025-03-01"
    assert stated_effective_date("生效日期：2024-12-01") == "2024-12-01"
    assert stated_effective_date("本規範自2025年7月1日起實施。") == "2025-07-01"


def test_impossible_or_missing_dates_are_not_invented():
    assert stated_effective_date("自2025年13月40日起施行") is None
    assert stated_effective_date("2025年3月1日召开会议。") is None
