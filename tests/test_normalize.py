from rag.normalize import normalize, strip_annotations


def test_pinyin_annotations_are_stripped():
    assert strip_annotations("運營規(guī)范方案的服務(wù)質(zhì)量") == "運營規范方案的服務質量"


def test_latin_parentheses_are_not_pinyin():
    assert strip_annotations("分步驟(StepbyStep)方式，指標(KPI)") == "分步驟(StepbyStep)方式，指標(KPI)"


def test_traditional_becomes_simplified_for_matching():
    assert normalize("應急預案包括哪些內容？") == normalize("应急预案包括哪些内容？")


def test_normalize_can_be_switched_off_but_still_strips_annotations():
    assert normalize("規(guī)範", enabled=False) == "規範"


def test_full_width_and_case_are_folded():
    assert normalize("ＳＬＡ與KPI") == "sla与kpi"
