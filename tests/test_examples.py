"""The shipped examples (examples/<form>/valid.yaml and invalid.yaml) against the shipped forms.

Each example is read the way the inbox reads a submission (``parse_documents``: dates come back
as ISO strings) and validated as of its own ``at``. A valid example has no problems; an invalid
one gets exactly the messages a clerk would see, in the order of the form.
"""

from __future__ import annotations

import datetime as dt

import pytest

from formflow import Workspace, validate_data
from formflow.definitions.yamlsource import parse_documents

from .conftest import NOW, REPO

TITLES = {
    "movein": "入住登记表",
    "renovation": "装修申请及许可证",
    "repair": "维修派工单",
    "complaint": "投诉处理记录",
    "callback": "回访记录",
    "survey": "业主意见征询表",
    "service": "便民/委托服务协议",
    "fee_reminder": "催费记录",
    "fee_collection": "催缴档案",
}

INVALID = {
    "complaint": [
        "「联系电话」：不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “1391234567”",
        "「发生时间」：发生时间不能晚于接待时间",
        "「住户要求期限」：此项仅当「投诉级别」为“轻微”时填写，现在不适用，请删除或核对相关字段",
        "「接待人」：必填项未填写",
        "「转交部门」：“保安部”不在选项中，可选：客服中心、工程维修部、秩序维护部、环境部、财务部、管理处办公室",
    ],
    "movein": [
        "未知字段“parking_space”：表单中没有这个字段，请删除或检查拼写",
        "「身份证号码」：身份证号校验位不对（最后一位应为 6，填写的是 7），请核对号码",
        "「紧急联系人电话」：紧急联系人电话不能与业主本人电话相同",
        "「同住人员」第1行「与业主关系」：“儿子”不在选项中，可选：配偶、子女、父母、其他亲属、租户、保姆/雇员、其他",
        "「车辆登记」第1行「车牌号」：车牌号应为 7 位（新能源车 8 位），例：粤B12345、粤BD12345",
        "「验房记录」第1行「存在问题」：必填项未填写（因为「是否合格」为“否”）",
    ],
    "renovation": [
        "「已提交业主书面同意书」：使用人装修须取得业主书面同意，未提交同意书的不予登记",
        "「装修项目」：“打通阳台”不在选项中，可选：墙面、地面、吊顶、水路改造、电路改造、厨房、卫生间(防水)、门窗、"
        "防盗门/网/窗花、空调安装、阳台、砌/拆非承重墙、其他",
        "「设计方案（出具单位及编号）」：必填项未填写（因为「是否变动建筑主体或承重结构」为“是”）",
        "「计划完工日期」：计划完工日期不能早于计划开工日期",
        "「施工人员」第1行「身份证号码」：身份证号应为 18 位（前 17 位为数字，最后一位为数字或 X），"
        "填写的是 “36042819791126571”",
    ],
    "repair": [
        "「预约上门时间」：必填项未填写（因为「紧急程度」为“预约”）",
        "「派工时间」：派工时间不能早于报修时间",
        "「试漏日期」：此项仅当「维修类别」为“渗漏水”时填写，现在不适用，请删除或核对相关字段",
        "「费用合计」：应为 75.00 元（「人工费」 + 「材料费」），填写的是 85.00 元",
        "「付款情况」：付款情况与是否有偿不符：无偿维修选“无需支付”，有偿维修选“未付”或“已付”",
    ],
    "callback": [
        "「来源记录编号」：记录编号与回访来源不符：维修单编号以 WX- 开头，投诉以 TS- 开头，便民服务以 FW- 开头",
        "「联系电话」：不是有效的中国大陆手机号码（应为以 1 开头的 11 位数字），填写的是 “139266188201”",
        "「回访时间」：渗漏水维修应在试漏之后回访，回访时间不能早于试漏日期",
        "「满意度」：“非常满意”不在选项中，可选：满意、基本满意、不满意",
        "「发现的问题」：必填项未填写（因为「问题是否已解决」为“否”或「满意度」为“不满意”）",
    ],
    "survey": [
        "「保洁卫生」：“一般”不在选项中，可选：满意、基本满意、不满意",
        "「总体评价」：必填项未填写",
        "「填表日期」：没有这一天，填写的是 “2026-02-30”",
        "「业主签名」：此项是纸质表上的签名/盖章栏，只在纸上填写，不能填入数据",
    ],
    "service": [
        "未知字段“discount”：表单中没有这个字段，请删除或检查拼写",
        "「其他服务项目」：必填项未填写（因为「服务项目」为“其他”）",
        "「约定费用」：应为 160.00 元（「单价」 × 「数量」），填写的是 180.00 元",
        "「服务部门」：“维修部”不在选项中，可选：客服中心、工程维修部、秩序维护部、环境部、财务部、管理处办公室",
        "「实收金额」：此项仅当「验收结果」为“合格”或“返工后合格”时填写，现在不适用，请删除或核对相关字段",
    ],
    "fee_reminder": [
        "「欠费项目」：“物业费”不在选项中，可选：物业服务费、停车费、公摊水电、有偿服务费、维修费、违约金",
        "「欠费截止日期」：欠费截止日期不能早于起始日期",
        "「催缴次数」：不能小于 1次，填写的是 0",
        "「承诺缴费日期」：此项仅当「接通情况」为“接通”或“他人代接”或「催缴方式」为“短信/微信”或“上门”时填写，"
        "现在不适用，请删除或核对相关字段",
    ],
    "fee_collection": [
        "「催费批次」：必填项未填写",
        "「欠费合计」：应为 1,000.00 元（「欠费明细」各行「欠费金额」之和），填写的是 1,200.00 元",
        "「催费人」：张伟不是客服专员、收费员、客服中心主管；可选：李娜、王芳、赵敏、郑丽",
    ],
}


@pytest.fixture(scope="module")
def shipped():
    """The repository's own definitions, loaded once for the module as of NOW."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORMFLOW_NOW", NOW.isoformat())
        return Workspace(REPO).load()


def _problems(defs, form_id: str, kind: str) -> list[str]:
    path = REPO / "examples" / form_id / f"{kind}.yaml"
    doc = parse_documents(path.read_text("utf-8"), str(path))[0].data
    assert doc["form"] == form_id
    assert doc["by"] in {s.name for s in defs.settings.staff}
    now = dt.datetime.fromisoformat(doc["at"])
    assert now.tzinfo is not None
    result = validate_data(defs.forms[form_id], doc["data"], defs.settings, now)
    return [str(p) for p in result.problems]


@pytest.mark.parametrize("form_id, title", TITLES.items())
def test_form_is_shipped_with_its_chinese_title(shipped, form_id, title):
    assert shipped.forms[form_id].title == title


def test_every_shipped_form_has_examples(shipped):
    assert set(shipped.forms) == set(TITLES) == set(INVALID)


@pytest.mark.parametrize("form_id", TITLES)
def test_valid_example_passes(shipped, form_id):
    assert _problems(shipped, form_id, "valid") == []


@pytest.mark.parametrize("form_id", TITLES)
def test_invalid_example_gets_every_problem_in_form_order(shipped, form_id):
    assert _problems(shipped, form_id, "invalid") == INVALID[form_id]
