from rag.verify import is_supported, numbers_supported, support_score

SOURCE = "例如,在客户服务领域,规定响应时间为2小时内,解决问题的时间为24小时内。"


def test_a_paraphrase_of_the_source_is_supported():
    assert is_supported("客户服务领域规定响应时间为2小时内[1]。", SOURCE)


def test_a_changed_number_is_not_supported():
    assert not numbers_supported("客户服务的响应时间为3小时内。", SOURCE)
    assert not is_supported("客户服务的响应时间为3小时内。", SOURCE)


def test_an_unrelated_claim_is_not_supported():
    assert support_score("员工每年享有十五天带薪年假。", SOURCE) < 0.3
    assert not is_supported("员工每年享有十五天带薪年假。", SOURCE)


def test_traditional_source_supports_a_simplified_sentence():
    assert is_supported(
        "应急预案应明确责任主体和应对步骤。", "制定應(yīng)急預案,明確風險發(fā)生時的責任主體和應(yīng)對步驟。"
    )
